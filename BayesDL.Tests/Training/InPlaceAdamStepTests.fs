module BayesDL.Tests.Training.InPlaceAdamStepTests

open Xunit
open TorchSharp
open TorchSharp.Modules
open BayesDL.Training
open BayesDL.Tests.TestSupport

let private shapes = [ [| 7L; 5L |]; [| 5L |]; [| 3L; 4L; 2L |] ]

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
    Assert.Equal(30L, (state adamNew 2).step)
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
