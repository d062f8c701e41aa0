/// The gradient the samplers take (Model.LogDensityAndGradient: closed-form partials, autograd only through the body's own
/// operations) against autograd through the whole log density: on every registered example model and on a model that
/// takes every path at once (a parameter used directly and through a derived tensor, a Factor, an unused parameter, a
/// bijector with a bound that is another parameter, a distribution without partials, broadcast scales).
module BayesDL.Tests.Modeling.DensityGradientTests

open System
open System.Collections.Generic
open Xunit
open TorchSharp
open BayesDL.Distributions
open BayesDL.Examples
open BayesDL.Modeling
open BayesDL.Transforms
open BayesDL.Dsl.ProbModel
open BayesDL.Tests.TestSupport

let private f64 (xs: float[]) = torch.tensor(xs, dtype = torch.ScalarType.Float64)

/// log p~ and its gradient by autograd through Model.LogDensity (what the samplers took before the closed-form path).
let private byAutograd (model: Model) (x: torch.Tensor) =
    let xi = x.detach().requires_grad_(true)
    let lp = model.LogDensity xi
    lp.sum().backward()
    values lp, values xi.grad

/// Both paths agree to rounding: float64 throughout, so 1e-10 relative to the larger of the entry and the row's scale.
let private assertSameGradient (model: Model) (x: torch.Tensor) =
    let expectedValue, expectedGradient = byAutograd model x
    let struct (value, gradient) = model.LogDensityAndGradient x
    Assert.False(value.requires_grad || gradient.requires_grad, "the results are detached")
    Assert.Equal<int64[]>(x.shape, gradient.shape)
    let v, g = values value, values gradient
    let scale = 1.0 + (expectedGradient |> Array.map abs |> Array.max)
    for c in 0 .. v.Length - 1 do
        Assert.True(abs (v[c] - expectedValue[c]) <= 1e-10 * (1.0 + abs expectedValue[c]),
                    sprintf "%s, chain %d: log density %.15g, by autograd %.15g" model.Name c v[c] expectedValue[c])
    let parameterAt (i: int) =
        let k = i % model.Dimension
        (model.Parameters |> Seq.find (fun p -> p.Offset <= k && k < p.Offset + p.Length)).Name
    for i in 0 .. g.Length - 1 do
        Assert.True(abs (g[i] - expectedGradient[i]) <= 1e-10 * scale,
                    sprintf "%s, gradient entry %d (parameter %s): %.15g, by autograd %.15g" model.Name i (parameterAt i)
                        g[i] expectedGradient[i])

/// Synthetic data with each registered model's keys (the models' structure is what is under test, not posteriordb's data).
let private exampleData (name: string) =
    let rng = Random 17
    let column n scale shift = f64 (Array.init n (fun _ -> shift + scale * rng.NextDouble()))
    let entries =
        match name with
        | "eight_schools-eight_schools_noncentered" -> [ "J", f64 [| 8.0 |]; "y", column 8 30.0 -5.0; "sigma", column 8 10.0 8.0 ]
        | "sblrc-blr" -> [ "X", (torch.randn(30L, 5L, dtype = torch.ScalarType.Float64)); "y", column 30 4.0 -2.0 ]
        | "kidiq-kidscore_momiq" -> [ "kid_score", column 20 60.0 40.0; "mom_iq", column 20 40.0 80.0 ]
        | "earnings-logearn_height" -> [ "earn", column 20 5e4 1e3; "height", column 20 15.0 60.0 ]
        | "mesquite-logmesquite" ->
            [ for key in [ "weight"; "diam1"; "diam2"; "canopy_height"; "total_height"; "density" ] -> key, column 15 3.0 0.5 ]
            @ [ "group", f64 (Array.init 15 (fun i -> float (i % 2))) ]
        | "arK-arK" -> [ "y", column 25 2.0 -1.0; "K", f64 [| 3.0 |]; "T", f64 [| 25.0 |] ]
        | "low_dim_gauss_mix-low_dim_gauss_mix" -> [ "y", column 20 6.0 -3.0; "N", f64 [| 20.0 |] ]
        | "garch-garch11" -> [ "y", column 20 2.0 4.0; "sigma1", torch.tensor(0.7, dtype = torch.ScalarType.Float64); "T", f64 [| 20.0 |] ]
        | other -> failwithf "no synthetic data for %s" other
    Dictionary<string, torch.Tensor>(dict entries)

let exampleNames () : seq<obj[]> = ExampleModels.Names |> Seq.map (fun n -> [| box n |])

[<Theory>]
[<MemberData(nameof exampleNames)>]
let ``the samplers' gradient equals autograd through the log density on every registered example model`` (name: string) =
    engine ()
    use scope = torch.NewDisposeScope()
    let model = ExampleModels.Create(name, exampleData name)
    torch.manual_seed 5L |> ignore
    // Five chains spread over the unconstrained space, where every term and its gradient are finite.
    assertSameGradient model ((torch.rand(5L, int64 model.Dimension, dtype = torch.ScalarType.Float64) - 0.5) * 2.0)

[<Fact>]
let ``every path of the closed-form gradient at once equals autograd`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let y = f64 [| 0.3; -1.2; 2.5; 0.8; -0.4; 1.7 |]
    let x = f64 [| -1.0; -0.5; 0.0; 0.5; 1.0; 1.5 |]
    let model =
        Model.Create("every path", Action<ModelContext>(fun m ->
            let p = m.Policy
            let a = m.Sample("a", Dist.Normal(0.0, 2.0, p))                          // closed form, used directly and derived
            let s = m.Sample("s", Dist.HalfNormal(1.5, p))                           // Exp bijector, a broadcast scale [C, 1]
            let t = m.Sample("t", Dist.HalfCauchy(2.0, p))                           // used only in a Factor
            let b = m.Sample("b", Dist.Normal(a, s), [| 2L |])                       // a prior whose parameters are parameters
            let u = m.Sample("u", Constraint.Positive)                               // flat, unused: only its log-det
            let w = m.Sample("w", Dist.Beta(2.0, 3.0, p))                            // an interval bijector, no partials for Beta
            let v = m.Sample("v", Dist.Normal(0.0, 1.0, p), null, Constraint.Interval(torch.zeros_like a, w + 1.0)) // a dependent bound
            let loc = m.Deterministic("loc", a + b.narrow(1, 0L, 1L) * x + v)         // recorded by the body
            m.Observe("y", Dist.Normal(loc, s), y)                                   // partials seed loc (non-leaf) and s (a leaf)
            m.Observe("y again", Dist.Normal(a, s * 2.0), y)                         // a leaf loc, a derived scale
            m.Factor("t term", -(t.square()) * 0.1 + b.sum(1L, keepdim = true) * 0.01)
            // Linear predictors: in closed form (eta also used by a recorded operation, whose gradient must still reach b and a),
            // with a constant intercept, and recorded (derived coefficients).
            let design = torch.stack([| x; x.square() |], 1L)                        // [6, 2]
            let eta = m.LinearPredictor(b, design, a)
            m.Observe("z", Dist.Normal(eta, s), y)
            m.Factor("eta term", (eta * 0.1).exp().mean([| 1L |], keepdim = true))
            m.Observe("z offset", Dist.Normal(m.LinearPredictor(b, design, f64 [| 0.5 |]), s), y)
            m.Observe("z derived", Dist.Normal(m.LinearPredictor(b * t, design), s + 1.0), y)
            ignore u), null)
    torch.manual_seed 9L |> ignore
    assertSameGradient model ((torch.rand(4L, int64 model.Dimension, dtype = torch.ScalarType.Float64) - 0.5) * 2.0)
    // One chain: the chain dimension broadcasts nothing.
    assertSameGradient model ((torch.rand(1L, int64 model.Dimension, dtype = torch.ScalarType.Float64) - 0.5) * 2.0)

[<Fact>]
let ``a parameter that reaches the density only through its log-det-Jacobian has that gradient`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let model = Model.Create("log-det only", Action<ModelContext>(fun m -> m.Sample("u", Constraint.Positive) |> ignore), null)
    let struct (value, gradient) = model.LogDensityAndGradient(f64 [| 0.3; -2.0 |] |> fun t -> t.reshape(2L, 1L))
    // log p~(x) = x (flat prior on u = e^x): value x, gradient 1.
    Assert.Equal<float[]>([| 0.3; -2.0 |], values value)
    Assert.Equal<float[]>([| 1.0; 1.0 |], values gradient)

[<Fact>]
let ``the gradient's positions are checked as the log density's are`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let model =
        Model.Create("shape", Action<ModelContext>(fun m -> m.Sample("a", Dist.Normal(0.0, 1.0, m.Policy), [| 3L |]) |> ignore), null)
    let wrong = torch.zeros(2L, 4L, dtype = torch.ScalarType.Float64)
    let e = Assert.Throws<ArgumentException>(fun () -> model.LogDensityAndGradient wrong |> ignore)
    Assert.Contains("positions", e.Message)
    Assert.Contains("[chains, 3]", e.Message)

[<Fact>]
let ``a linear predictor is intercept + beta X^T, and its shapes are checked naming the argument`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let x = f64 [| 1.0; 2.0; 3.0; -1.0; 0.5; 4.0 |] |> fun t -> t.reshape(3L, 2L)
    let mutable seen = None
    let model =
        Model.Create("linear", Action<ModelContext>(fun m ->
            let beta = m.Sample("beta", Constraint.Real, [| 2L |])
            let alpha = m.Sample("alpha", Constraint.Real)
            // Read inside the body: the evaluation's tensors are disposed with it.
            seen <- Some(values (m.LinearPredictor(beta, x, alpha)), values (alpha + beta.matmul(x.T)))), null)
    model.LogDensity(f64 [| 0.5; -2.0; 3.0; 1.0; 1.0; -1.0 |] |> fun t -> t.reshape(2L, 3L)) |> ignore
    let eta, expected = seen.Value
    Assert.Equal(6, eta.Length)
    for i in 0 .. 5 do Assert.Equal(expected[i], eta[i], 14)
    let wrongDesign =
        Assert.Throws<ArgumentException>(fun () ->
            Model.Create("wrong design", Action<ModelContext>(fun m ->
                m.LinearPredictor(m.Sample("beta", Constraint.Real, [| 2L |]), x.T) |> ignore), null) |> ignore)
    Assert.Contains("design of a linear predictor", wrongDesign.Message)
    Assert.Contains("[N, 2]", wrongDesign.Message)
    let wrongIntercept =
        Assert.Throws<ArgumentException>(fun () ->
            Model.Create("wrong intercept", Action<ModelContext>(fun m ->
                m.LinearPredictor(m.Sample("beta", Constraint.Real, [| 2L |]), x, f64 [| 1.0; 2.0 |]) |> ignore), null) |> ignore)
    Assert.Contains("intercept of a linear predictor", wrongIntercept.Message)

[<Fact>]
let ``the F# expression's linear predictor is the core's, with the same closed-form gradient`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let x = torch.randn(12L, 3L, dtype = torch.ScalarType.Float64)
    let y = torch.randn(12L, dtype = torch.ScalarType.Float64)
    let model =
        probModel "regression" {
            let! beta = sampleShaped "beta" [ 3L ] (Normal(0.0, 2.0))
            let! alpha = sample "alpha" (Normal(0.0, 5.0))
            let! sigma = sample "sigma" (HalfCauchy 1.0)
            let! mu = linearPredictor beta x (Some alpha)
            do! observe "y" (Normal(mu, sigma)) y
        }
        |> function Ok m -> m | Error e -> failwith e.Message
    torch.manual_seed 2L |> ignore
    assertSameGradient model (torch.randn(3L, 5L, dtype = torch.ScalarType.Float64))
