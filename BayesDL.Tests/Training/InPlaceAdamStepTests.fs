module BayesDL.Tests.Training.InPlaceAdamStepTests

open Xunit
open TorchSharp
open TorchSharp.Modules
open BayesDL.Training
open BayesDL.Tests.TestSupport

/// The last parameter has more elements than FusedAdamKernel.MaxElements: each step takes the host kernel for the small ones and
/// libtorch's fused kernel for it.
let private shapes = [ [| 7L; 5L |]; [| 5L |]; [| 3L; 4L; 2L |]; [| 200L; 180L |] ]

/// The same parameters twice (seeded draws), in the given dtype.
let private twins (dtype: torch.ScalarType) =
    let make () =
        torch.manual_seed 5L |> ignore
        shapes |> List.map (fun s -> new Parameter(torch.randn(s, dtype = System.Nullable dtype)))
    make (), make ()

/// A gradient that depends on the parameter, as a loss's does: (p - 0.3 + 0.5 sin 3p) times a scale that changes with the step.
let private setGradient (p: Parameter) (scale: float) =
    use _ = torch.no_grad()
    let v = p.detach()
    p.grad <- (v - 0.3 + 0.5 * (v * 3.0).sin()) * scale

/// Steps both twins `steps` times with the same gradient (scale 1): TorchSharp's Adam and the in-place step.
let private stepBoth steps (reference: Parameter list) (inPlace: Parameter list) (adamRef: Adam) (adamNew: Adam) =
    for _ in 1 .. steps do
        for i in 0 .. shapes.Length - 1 do
            setGradient reference[i] 1.0
            setGradient inPlace[i] 1.0
        adamRef.step() |> ignore
        InPlaceAdamStep.Step adamNew

let private state (adam: Adam) i = adam.state_dict().State[i] :?> Adam.State

let private maxAbsDiff (a: torch.Tensor) (b: torch.Tensor) = scalar ((a - b).abs().max())

[<Fact>]
let ``the in-place step equals TorchSharp's Adam step by step, with skipped parameters and a changed learning rate`` () =
    engineOneThread ()
    let reference, inPlace = twins torch.ScalarType.Float64
    use adamRef = torch.optim.Adam(reference, 0.01)
    use adamNew = torch.optim.Adam(inPlace, 0.01)
    for t in 1 .. 60 do
        if t = 31 then
            for g in Seq.append adamRef.ParamGroups adamNew.ParamGroups do g.LearningRate <- 0.003
        let scale = 1.0 + 0.5 * sin (float t)
        for i in 0 .. shapes.Length - 1 do
            // The last parameter has a gradient only on odd steps: without one it must not move, nor its step count advance.
            if i < shapes.Length - 1 || t % 2 = 1 then
                setGradient reference[i] scale
                setGradient inPlace[i] scale
            else
                reference[i].grad <- null
                inPlace[i].grad <- null
        adamRef.step() |> ignore
        InPlaceAdamStep.Step adamNew
        for i in 0 .. shapes.Length - 1 do
            let r, n = state adamRef i, state adamNew i
            Assert.Equal(r.step, n.step)
            // float64: the two formulas differ only by rounding (~1e-16 relative); a wrong bias correction, moment decay or
            // epsilon placement moves a parameter by at least ~1e-6 here.
            Assert.True(maxAbsDiff reference[i] inPlace[i] < 1e-12, sprintf "parameter %d at step %d" i t)
            Assert.True(maxAbsDiff r.exp_avg n.exp_avg < 1e-12, sprintf "first moment %d at step %d" i t)
            Assert.True(maxAbsDiff r.exp_avg_sq n.exp_avg_sq < 1e-12, sprintf "second moment %d at step %d" i t)
    Assert.Equal(60L, (state adamNew 0).step)
    Assert.Equal(30L, (state adamNew 3).step)
    Assert.True(Array.fold (*) 1L (List.last shapes) >= FusedAdamKernel.MaxElements, "the last parameter takes libtorch's kernel")
    // The parameters moved (a step that did nothing would also be "equal").
    let _, start = twins torch.ScalarType.Float64
    Assert.True(maxAbsDiff inPlace[0] start[0] > 0.1)

[<Fact>]
let ``in float32 the in-place step stays within float rounding of TorchSharp's Adam`` () =
    engineOneThread ()
    let reference, inPlace = twins torch.ScalarType.Float32
    use adamRef = torch.optim.Adam(reference, 1e-3)
    use adamNew = torch.optim.Adam(inPlace, 1e-3)
    stepBoth 20 reference inPlace adamRef adamNew
    // Each step moves a parameter by about lr = 1e-3 and rounds it to float32 (ulp 1.2e-7 near 1, 4.8e-7 near 4): 20 steps of a
    // few ulp each stay below 1e-5, while a wrong step size would be off by a sizeable fraction of 20 * 1e-3.
    for i in 0 .. shapes.Length - 1 do
        Assert.True(maxAbsDiff reference[i] inPlace[i] < 1e-5, sprintf "parameter %d" i)

[<Fact>]
let ``groups with weight decay or AMSGrad take TorchSharp's own step, bit for bit`` () =
    engineOneThread ()
    for decay, amsgrad in [ 0.1, false; 0.0, true ] do
        let reference, inPlace = twins torch.ScalarType.Float32
        use adamRef = torch.optim.Adam(reference, 0.01, weight_decay = decay, amsgrad = amsgrad)
        use adamNew = torch.optim.Adam(inPlace, 0.01, weight_decay = decay, amsgrad = amsgrad)
        stepBoth 5 reference inPlace adamRef adamNew
        for i in 0 .. shapes.Length - 1 do
            Assert.True(reference[i].equal(inPlace[i]).all().item<bool>(), sprintf "decay %g, amsgrad %b, parameter %d" decay amsgrad i)

/// Adam's update by tensor operations, TorchSharp's formula: the reference for the fused kernel called directly.
let private referenceUpdate (p: torch.Tensor) (g: torch.Tensor) (m: torch.Tensor) (v: torch.Tensor) step =
    let rate, beta1, beta2, eps = 1e-3, 0.9, 0.999, 1e-8
    m.copy_(m * beta1 + g * (1.0 - beta1)) |> ignore
    v.copy_(v * beta2 + g * g * (1.0 - beta2)) |> ignore
    let denominator = v.sqrt() / sqrt (1.0 - beta2 ** float step) + eps
    p.copy_(p - m / denominator * (rate / (1.0 - beta1 ** float step))) |> ignore

/// Constants of step t as InPlaceAdamStep passes them to the kernel.
let private kernelStep (p: torch.Tensor) (g: torch.Tensor) (m: torch.Tensor) (v: torch.Tensor) step =
    let root2 = sqrt (1.0 - 0.999 ** float step)
    FusedAdamKernel.TryStep(p, g, m, v, 0.9, 0.999, 1e-8 * root2, -1e-3 * root2 / (1.0 - 0.9 ** float step))

[<Fact>]
let ``the fused kernel gives each element the same bits in a vector lane or the scalar loop, and follows Adam's formula`` () =
    engine ()
    use _ = torch.no_grad()
    for dtype in [ torch.ScalarType.Float32; torch.ScalarType.Float64 ] do
        torch.manual_seed 3L |> ignore
        // The whole tensor runs in vector lanes (with a scalar tail); the same elements stepped three at a time, through views
        // into one tensor (offset storage), run in the scalar loop only. A formula written differently in the two loops gives
        // other bits for some of the 1,001 elements.
        let start = torch.randn([| 1001L |], dtype = System.Nullable dtype)
        let fresh (x: torch.Tensor) = x.clone(), torch.zeros_like x, torch.zeros_like x
        let (p1, m1, v1), (p2, m2, v2), (p3, m3, v3) = fresh start, fresh start, fresh start
        for t in 1 .. 4 do
            let g = (start * 0.7 + torch.randn_like start * 0.1) * float t
            Assert.True(kernelStep p1 g m1 v1 t, "whole")
            for s in 0L .. 3L .. 1000L do
                let piece (x: torch.Tensor) = x.narrow(0, s, min 3L (1001L - s))
                Assert.True(kernelStep (piece p2) (piece g) (piece m2) (piece v2) t, "pieces")
            referenceUpdate p3 g m3 v3 t
        for a, b in [ p1, p2; m1, m2; v1, v2 ] do
            Assert.True(a.equal(b).all().item<bool>(), sprintf "%A: vector lanes and the scalar loop differ" dtype)
        // The formula: float rounding of a few ulp per step; a wrong moment decay or bias correction is off by 1e-4 or more.
        let tolerance = if dtype = torch.ScalarType.Float32 then 1e-5 else 1e-12
        for a, b, what in [ p1, p3, "parameter"; m1, m3, "first moment"; v1, v3, "second moment" ] do
            Assert.True(maxAbsDiff a b < tolerance, sprintf "%A %s: %g" dtype what (maxAbsDiff a b))
        Assert.True(maxAbsDiff p1 start > 1e-3, "the parameters moved")

[<Fact>]
let ``tensors the kernel cannot address take the tensor-operation path, which still equals TorchSharp's Adam`` () =
    engineOneThread ()
    use _ = torch.no_grad()
    let p = torch.randn(7, 5, dtype = torch.ScalarType.Float64)
    let z = torch.zeros_like p
    let transposed = torch.randn(5, 7, dtype = torch.ScalarType.Float64).T
    Assert.False(kernelStep p transposed z (torch.zeros_like p) 1, "a non-contiguous gradient")
    Assert.False(kernelStep p (torch.randn(7, 5)) z (torch.zeros_like p) 1, "a float32 gradient of a float64 parameter")
    Assert.False(kernelStep (p.to_type torch.ScalarType.Float16) (p.to_type torch.ScalarType.Float16)
                     (z.to_type torch.ScalarType.Float16) (z.to_type torch.ScalarType.Float16) 1, "float16")
    let large = torch.zeros(FusedAdamKernel.MaxElements, dtype = torch.ScalarType.Float64)
    Assert.False(kernelStep large (torch.ones_like large) (torch.zeros_like large) (torch.zeros_like large) 1, "a large parameter")
    Assert.True(maxAbsDiff z (torch.zeros_like z) = 0.0 && maxAbsDiff large (torch.zeros_like large) = 0.0,
                "a refused call touches nothing")
    // Through the optimizer: gradients that are transposed views take the six operations and match TorchSharp's step.
    let reference, inPlace = twins torch.ScalarType.Float64
    use adamRef = torch.optim.Adam(reference, 0.01)
    use adamNew = torch.optim.Adam(inPlace, 0.01)
    for _ in 1 .. 10 do
        for i in 0 .. shapes.Length - 1 do
            setGradient reference[i] 1.0
            setGradient inPlace[i] 1.0
            if shapes[i].Length = 2 then inPlace[i].grad <- inPlace[i].grad.T.contiguous().T
        Assert.False(inPlace[0].grad.is_contiguous())
        adamRef.step() |> ignore
        InPlaceAdamStep.Step adamNew
    for i in 0 .. shapes.Length - 1 do
        Assert.True(maxAbsDiff reference[i] inPlace[i] < 1e-12, sprintf "parameter %d" i)

/// One call of libtorch's fused kernel with the default betas and rate 1e-3: each parameter at its own step count.
let private fusedStep (entries: (torch.Tensor * torch.Tensor * torch.Tensor * torch.Tensor * int64) list) =
    LibTorchFusedAdam.Step(
        [| for p, g, m, v, t in entries -> LibTorchFusedAdam.Entry(p, g, m, v, t) |], 1e-3, 0.9, 0.999, 1e-8)

[<Fact>]
let ``libtorch's fused kernel follows Adam's formula for each parameter at its own step, in float32 and float64`` () =
    engine ()
    use _ = torch.no_grad()
    for dtype in [ torch.ScalarType.Float32; torch.ScalarType.Float64 ] do
        torch.manual_seed 3L |> ignore
        // Two parameters in one call, the second three steps behind the first (as after skipped steps): each must read its own t,
        // and 100,001 elements are split over the threads.
        let starts =
            [ torch.randn([| 100001L |], dtype = System.Nullable dtype); torch.randn([| 37L; 3L |], dtype = System.Nullable dtype) ]
        let fresh (x: torch.Tensor) = x.clone(), torch.zeros_like x, torch.zeros_like x
        let fusedState = starts |> List.map fresh
        let referenceState = starts |> List.map fresh
        for t in 1 .. 6 do
            let gradients = starts |> List.map (fun x -> (x * 0.7 + torch.randn_like x * 0.1) * float t)
            let due = [ true; t > 3 ]                 // the second parameter steps at t = 4, 5, 6 as its steps 1, 2, 3
            let entries =
                [ for i in 0 .. 1 do
                    if due[i] then
                        let p, m, v = fusedState[i]
                        yield p, gradients[i], m, v, (if i = 0 then int64 t else int64 (t - 3)) ]
            fusedStep entries
            for i in 0 .. 1 do
                if due[i] then
                    let p, m, v = referenceState[i]
                    referenceUpdate p gradients[i] m v (if i = 0 then t else t - 3)
        // Float rounding of a few ulp per step; a wrong moment decay, bias correction or shared step count is off by 1e-4 or more.
        let tolerance = if dtype = torch.ScalarType.Float32 then 1e-5 else 1e-12
        for i in 0 .. 1 do
            let (p1, m1, v1), (p3, m3, v3) = fusedState[i], referenceState[i]
            for a, b, what in [ p1, p3, "parameter"; m1, m3, "first moment"; v1, v3, "second moment" ] do
                Assert.True(maxAbsDiff a b < tolerance, sprintf "%A parameter %d %s: %g" dtype i what (maxAbsDiff a b))
            Assert.True(maxAbsDiff p1 starts[i] > 1e-3, "the parameters moved")

[<Fact>]
let ``libtorch's fused kernel takes only dense parameters of one dtype and size`` () =
    engineOneThread ()
    let p = torch.randn(7, 5, dtype = torch.ScalarType.Float64)
    let z () = torch.zeros_like p
    Assert.True(LibTorchFusedAdam.Accepts(p, torch.randn_like p, z (), z ()), "a dense float64 CPU parameter")
    let transposed = torch.randn(5, 7, dtype = torch.ScalarType.Float64).T
    Assert.False(LibTorchFusedAdam.Accepts(p, transposed, z (), z ()), "a non-contiguous gradient")
    Assert.False(LibTorchFusedAdam.Accepts(p, torch.randn(7, 5), z (), z ()), "a float32 gradient of a float64 parameter")
    Assert.False(LibTorchFusedAdam.Accepts(p, torch.randn(34, dtype = torch.ScalarType.Float64), z (), z ()),
                 "a gradient of another size")
    let half = p.to_type torch.ScalarType.Float16
    Assert.False(LibTorchFusedAdam.Accepts(half, half, half, half), "float16")

[<Fact>]
let ``after a fused step, a backward pass through a graph that saved the old parameter fails as after TorchSharp's step`` () =
    engineOneThread ()
    // A small parameter (the host kernel) and a large one (libtorch's kernel, whose writes leave the version counter alone).
    for shape in [ [| 4L; 3L |]; [| 200L; 180L |] ] do
        for fused in [ false; true ] do
            let p = new Parameter(torch.randn(shape, dtype = System.Nullable torch.ScalarType.Float64))
            use adam = torch.optim.Adam([ p ], 0.01)
            let saved = (p * p).sum()             // MulBackward keeps p for the gradient
            p.grad <- torch.ones_like p
            if fused then InPlaceAdamStep.Step adam else adam.step() |> ignore
            let e = Assert.ThrowsAny<System.Exception>(fun () -> saved.backward())
            Assert.Contains("inplace operation", e.Message)

