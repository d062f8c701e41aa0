/// Every bijector of BayesDL.Transforms: forward and inverse invert each other, forward lands in the constraint, and
/// log |det J| equals the log-determinant of the Jacobian computed two independent ways (central finite differences
/// and autograd, both on the free coordinates), over the batch shapes (), (4,) and (2, 3) and bounds that vary per
/// element; near the boundary nothing turns into NaN.
module BayesDL.Tests.Transforms.BijectorPropertyTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BayesDL.Transforms
open BayesDL.Tests.TestSupport

/// The bijectors under test, by constraint name; interval and half-line bounds are per-element tensors.
let kinds = [ "Real"; "Positive"; "GreaterThan"; "LessThan"; "Interval"; "Ordered"; "Simplex"; "CorrCholesky" ]

/// One test case: a constraint, a batch shape, the length of one unconstrained event (1 for element-wise ones), the
/// unconstrained values (batch ++ event, row-major, uniform in [-6, 6]) and two bound values per batch element.
type TransformCase = TransformCase of kind: string * batch: int64[] * eventLength: int64 * x: float[] * bounds: float[]

let private uniform lo hi = Gen.choose (0, 1_000_000) |> Gen.map (fun i -> lo + (hi - lo) * float i / 1e6)

type TransformCases =
    static member TransformCase() =
        gen {
            let! kind = Gen.elements kinds
            let! batch = Gen.elements [ [||]; [| 4L |]; [| 2L; 3L |] ]
            let! eventLength =
                match kind with
                | "Ordered" | "Simplex" -> Gen.choose (1, 5) |> Gen.map int64
                | "CorrCholesky" -> Gen.elements [ 1L; 3L; 6L; 10L ] // K = 2..5
                | _ -> Gen.constant 1L
            let count = int (Array.fold (*) 1L batch)
            let! x = Gen.arrayOfLength (count * int eventLength) (uniform -6.0 6.0)
            let! bounds = Gen.arrayOfLength (2 * count) (uniform -5.0 5.0)
            return TransformCase(kind, batch, eventLength, x, bounds)
        }
        |> Arb.fromGen

let private tensorOf (shape: int64[]) (v: float[]) = torch.tensor(v, dtype = torch.ScalarType.Float64).reshape(shape)

/// The constraint of a case; interval bounds a = bounds[i], b = a + 0.1 + |bounds[count + i]| per batch element.
let private constraintOf kind (batch: int64[]) (bounds: float[]) =
    let count = bounds.Length / 2
    let low = tensorOf batch bounds[.. count - 1]
    let high = low + 0.1 + (tensorOf batch bounds[count ..]).abs()
    // Element-wise bijectors get one scalar event per batch element: bounds of the batch shape broadcast exactly.
    match kind with
    | "Real" -> Constraint.Real
    | "Positive" -> Constraint.Positive
    | "GreaterThan" -> Constraint.GreaterThan low
    | "LessThan" -> Constraint.LessThan high
    | "Interval" -> Constraint.Interval(low, high)
    | "Ordered" -> Constraint.Ordered
    | "Simplex" -> Constraint.Simplex
    | "CorrCholesky" -> Constraint.CorrCholesky
    | other -> failwithf "unknown kind %s" other

/// x with its batch shape and, for vector-input bijectors, its event dimension.
let private inputOf (c: Constraint) (batch: int64[]) eventLength (x: float[]) =
    tensorOf (if c.Bijector.InputEventRank = 0 then batch else Array.append batch [| eventLength |]) x

/// The free coordinates of a constrained event as a vector: all of an element-wise value, the first K - 1 entries of
/// a simplex point (the last is 1 minus their sum), the strictly lower triangle of a correlation Cholesky factor, row-major
/// (the diagonal is fixed by the unit rows). The log-det-Jacobian of a map onto a manifold is that of the map onto
/// these coordinates, the volume in which Dirichlet and LKJ densities are written.
let private free (c: Constraint) (y: torch.Tensor) =
    match c.Name with
    | "Simplex" -> y.narrow(-1, 0, y.shape[y.shape.Length - 1] - 1L)
    | "CorrCholesky" ->
        let k = y.shape[y.shape.Length - 1]
        let idx = [| for i in 1L .. k - 1L do for j in 0L .. i - 1L -> i * k + j |]
        y.flatten(-2).index_select(-1, torch.tensor idx)
    | _ -> y.flatten()

/// log |det J| of x -> free(forward(x)) for one event x (a vector) by central differences, h = 1e-6.
let private finiteDifferenceLogDet (c: Constraint) (forward: torch.Tensor -> torch.Tensor) (x: float[]) =
    let n = x.Length
    let h = 1e-6
    let jacobian = Array2D.zeroCreate n n
    for j in 0 .. n - 1 do
        let shifted s = Array.mapi (fun i v -> if i = j then v + s else v) x
        let plus = values (free c (forward (torch.tensor (shifted h))))
        let minus = values (free c (forward (torch.tensor (shifted -h))))
        for i in 0 .. n - 1 do jacobian[i, j] <- (plus[i] - minus[i]) / (2.0 * h)
    let m = torch.tensor(Array.init (n * n) (fun ij -> jacobian[ij / n, ij % n]), dtype = torch.ScalarType.Float64)
                .reshape(int64 n, int64 n)
    let struct (_, logabs) = torch.linalg.slogdet m
    scalar logabs

/// The same by autograd, one backward pass per output coordinate.
let private autogradLogDet (c: Constraint) (forward: torch.Tensor -> torch.Tensor) (x: float[]) =
    let n = x.Length
    let input = torch.tensor(x, dtype = torch.ScalarType.Float64).requires_grad_(true)
    let out = free c (forward input)
    let rows =
        [| for i in 0 .. n - 1 ->
               let g = torch.autograd.grad([| out[int64 i] |], [| input |], retain_graph = true)
               g[0] |]
    let struct (_, logabs) = torch.linalg.slogdet (torch.stack rows)
    scalar logabs

[<Property(MaxTest = 150, Replay = "(1717,3)", Arbitrary = [| typeof<TransformCases> |])>]
let ``inverse undoes forward and forward lands inside the constraint`` (TransformCase(kind, batch, eventLength, x, bounds)) =
    engine ()
    use scope = torch.NewDisposeScope()
    let c = constraintOf kind batch bounds
    let u = inputOf c batch eventLength x
    let y = c.Bijector.Forward u
    let back = c.Bijector.Inverse y
    Assert.Equal<int64[]>(u.shape, back.shape)
    Assert.Equal<int64[]>(Array.append batch (c.Bijector.ForwardShape(u.shape[batch.Length ..])), y.shape)
    Assert.True(torch.all(c.Contains y).item<bool>(), sprintf "%s: forward left the set: %A" kind (values y))
    // |x| <= 6: y -> x amplifies rounding by at most ~1 / (1 - tanh 6) ~ 1e5 (corr-Cholesky), times float64 eps ~ 2e-11.
    for a, b in Array.zip (values u) (values back) do
        Assert.True(abs (a - b) <= 1e-9, sprintf "%s batch %A: x = %.17g came back as %.17g" kind batch a b)

[<Property(MaxTest = 150, Replay = "(1717,5)", Arbitrary = [| typeof<TransformCases> |])>]
let ``log |det J| equals the log-determinant of the finite-difference and the autograd Jacobian`` (TransformCase(kind, batch,
                                                                                                                 eventLength, x, bounds)) =
    engine ()
    use scope = torch.NewDisposeScope()
    let c = constraintOf kind batch bounds
    let b = c.Bijector
    let u = inputOf c batch eventLength x
    let ladj = b.LogAbsDetJacobian u
    let count = int (Array.fold (*) 1L batch)
    if b.InputEventRank = 0 then
        // Element-wise: the Jacobian of the whole batch is diagonal; one event per element, the bound of that element.
        Assert.Equal<int64[]>(batch, ladj.shape)
        let flatLadj = values ladj
        for e in 0 .. count - 1 do
            let single = constraintOf kind [| 1L |] [| bounds[e]; bounds[count + e] |]
            let forward (v: torch.Tensor) = single.Bijector.Forward(v.reshape(1L))
            let point = [| x[e] |]
            let fd, ad = finiteDifferenceLogDet single forward point, autogradLogDet single forward point
            // Central differences: truncation h^2 |f'''| / 6 plus rounding eps |f| / h, ~1e-9 relative here.
            Assert.True(abs (fd - flatLadj[e]) <= 1e-6 * (1.0 + abs fd),
                        sprintf "%s: ladj %.12g, finite differences %.12g" kind flatLadj[e] fd)
            Assert.True(abs (ad - flatLadj[e]) <= 1e-10 * (1.0 + abs ad), sprintf "%s: ladj %.12g, autograd %.12g" kind flatLadj[e] ad)
    else
        Assert.Equal<int64[]>(batch, ladj.shape)
        let flatLadj = values ladj
        let n = int eventLength
        for e in 0 .. count - 1 do
            let point = x[e * n .. e * n + n - 1]
            let fd, ad = finiteDifferenceLogDet c b.Forward point, autogradLogDet c b.Forward point
            Assert.True(abs (fd - flatLadj[e]) <= 1e-5 * (1.0 + abs fd),
                        sprintf "%s: ladj %.12g, finite differences %.12g at %A" kind flatLadj[e] fd point)
            Assert.True(abs (ad - flatLadj[e]) <= 1e-9 * (1.0 + abs ad),
                        sprintf "%s: ladj %.12g, autograd %.12g at %A" kind flatLadj[e] ad point)

[<Fact>]
let ``the interval's inverse stays finite and exact within 1e-300 of either bound in float64`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let b = (Constraint.Interval(0.0, 1.0)).Bijector
    let y = torch.tensor [| 1e-300; 1e-30; 1e-16; 0.5; 1.0 - 1e-16; 1.0 - 1e-12 |]
    let x = b.Inverse y
    Assert.True(torch.isfinite(x).all().item<bool>(), sprintf "logit near the bounds: %A" (values x))
    let again = values (b.Forward x)
    // x itself is rounded (relative eps), and exp/sigmoid turn an error dx into a relative error dx of the distance to
    // the nearest bound: allow 4 eps (1 + |x|) of that distance.
    for (yi, zi), xi in Array.zip (Array.zip (values y) again) (values x) do
        let distance = min yi (1.0 - yi)
        Assert.True(abs (zi - yi) <= 8.9e-16 * (1.0 + abs xi) * distance, sprintf "y = %.17g came back as %.17g" yi zi)
    // At the bounds themselves: -inf and +inf, not NaN.
    let ends = values (b.Inverse(torch.tensor [| 0.0; 1.0 |]))
    Assert.Equal<float[]>([| Double.NegativeInfinity; Double.PositiveInfinity |], ends)

[<Fact>]
let ``every bijector gives finite values and log-det-Jacobians far from the origin`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    for kind in kinds do
        let c = constraintOf kind [| 2L |] [| -1.0; 0.0; 2.0; 3.0 |]
        let rank = c.Bijector.InputEventRank
        for magnitude in [ 40.0; 700.0 ] do
            let raw = [| magnitude; -magnitude; magnitude; -magnitude; magnitude; -magnitude |]
            let u = if rank = 0 then torch.tensor [| magnitude;
                                                     -magnitude |] else torch.tensor(raw, dtype = torch.ScalarType.Float64).reshape(2L, 3L)
            let y = c.Bijector.Forward u
            let ladj = c.Bijector.LogAbsDetJacobian u
            Assert.False(torch.isnan(y).any().item<bool>(), sprintf "%s at |x| = %g: y = %A" kind magnitude (values y))
            Assert.False(torch.isnan(ladj).any().item<bool>()
                         || torch.isinf(ladj).logical_and(ladj.gt(torch.tensor 0.0)).any().item<bool>(),
                         sprintf "%s at |x| = %g: ladj = %A" kind magnitude (values ladj))
    // The simplex still sums to one with entries of very different sizes.
    let s = (Constraint.Simplex).Bijector.Forward(torch.tensor [| 40.0; -40.0; 0.0 |])
    Assert.True(abs (scalar (s.sum()) - 1.0) <= 1e-15, sprintf "simplex %A" (values s))

[<Fact>]
let ``bounds that are other parameters' values broadcast against the chains`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    // garch's beta1 in (0, 1 - alpha1), alpha1 one value per chain [C, 1].
    let alpha = torch.tensor([| 0.1; 0.5; 0.9 |], dtype = torch.ScalarType.Float64).reshape(3L, 1L)
    let c = Constraint.Interval(torch.zeros_like alpha, 1.0 - alpha)
    let y = c.Bijector.Forward(torch.zeros(3L, 1L, dtype = torch.ScalarType.Float64))
    Assert.Equal<float[]>([| 0.45; 0.25; 0.05 |], values y |> Array.map (fun v -> Math.Round(v, 12)))
    let ladj = values (c.Bijector.LogAbsDetJacobian(torch.zeros(3L, 1L, dtype = torch.ScalarType.Float64)))
    for a, l in Array.zip [| 0.1; 0.5; 0.9 |] ladj do Assert.Equal(log ((1.0 - a) / 4.0), l, 12)

[<Fact>]
let ``Check names the parameter, the element and the set`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let e = Assert.Throws<ArgumentException>(fun () -> Constraint.Simplex.Check(torch.tensor [| 0.5; 0.6 |], "model", "theta"))
    Assert.Contains("'theta'", e.Message)
    Assert.Contains("probability vector", e.Message)
    let p = Assert.Throws<ArgumentException>(fun () -> Constraint.Positive.Check(torch.tensor [| 1.0; -2.0 |], "model", "tau"))
    Assert.Contains("-2 at index [1]", p.Message)
    let k = Assert.Throws<ArgumentException>(fun () -> (Constraint.CorrCholesky).Bijector.Forward(torch.zeros(4L)) |> ignore)
    Assert.Contains("triangular number", k.Message)
