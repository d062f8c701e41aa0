/// The model API: the F# expression and the C# delegate form build the same core Model; its log density on the
/// unconstrained space equals the hand-written joint density plus log-det-Jacobians, batched over chains; named
/// values round-trip; mistakes in a body are errors naming the site.
module BayesDL.Tests.Modeling.ModelTests

open System
open System.Collections.Generic
open Xunit
open TorchSharp
open BayesDL.Distributions
open BayesDL.Modeling
open BayesDL.Transforms
open BayesDL.Dsl
open BayesDL.Dsl.ProbModel
open BayesDL.Tests.TestSupport

let private f64 (v: float[]) = torch.tensor(v, dtype = torch.ScalarType.Float64)
let private schoolsY = [| 28.0; 8.0; -3.0; 7.0; -1.0; 1.0; 18.0; 12.0 |]
let private schoolsSigma = [| 15.0; 10.0; 16.0; 11.0; 9.0; 11.0; 10.0; 18.0 |]

/// Eight schools, non-centred, in the F# expression.
let eightSchools () =
    let y, sigma = f64 schoolsY, f64 schoolsSigma
    probModel "eight schools" {
        let! thetaTrans = sampleShaped "theta_trans" [ 8L ] (Normal(0.0, 1.0))
        let! mu = sample "mu" (Normal(0.0, 5.0))
        let! tau = sample "tau" (HalfCauchy 5.0)
        let! theta = deterministic "theta" (thetaTrans * tau + mu)
        do! observe "y" (Normal(theta, sigma)) y
    }
    |> function
        | Ok m -> m
        | Error e -> failwith e.Message

/// The same in the C# delegate form, reading its data from the table.
let eightSchoolsDelegate () =
    let data = Dictionary<string, torch.Tensor>(dict [ "y", f64 schoolsY; "sigma", f64 schoolsSigma ])
    Model.Create("eight schools", Action<ModelContext>(fun m ->
        let thetaTrans = m.Sample("theta_trans", Dist.Normal(0.0, 1.0, m.Policy), [| 8L |])
        let mu = m.Sample("mu", Dist.Normal(0.0, 5.0, m.Policy))
        let tau = m.Sample("tau", Dist.HalfCauchy(5.0, m.Policy))
        let theta = m.Deterministic("theta", thetaTrans * tau + mu)
        m.Observe("y", Dist.Normal(theta, m.Data "sigma"), m.Data "y")), data)

let private normalLog (x: float) (m: float) (s: float) = -0.5 * ((x - m) / s) ** 2.0 - log s - 0.5 * log (2.0 * Math.PI)

/// The joint density written out by hand at one unconstrained point [theta_trans (8), mu, log tau].
let private eightSchoolsByHand (x: float[]) =
    let z, mu, logTau = x[0..7], x[8], x[9]
    let tau = exp logTau
    let halfCauchy = log (2.0 / Math.PI) - log 5.0 - log (1.0 + (tau / 5.0) ** 2.0)
    Array.sumBy (fun v -> normalLog v 0.0 1.0) z + normalLog mu 0.0 5.0 + halfCauchy + logTau
    + Array.sum (Array.init 8 (fun j -> normalLog schoolsY[j] (z[j] * tau + mu) schoolsSigma[j]))

[<Fact>]
let ``the model's log density is the joint density plus log |det J|, for all chains in one call`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let m = eightSchools ()
    Assert.Equal(10, m.Dimension)
    Assert.Equal<string list>([ "theta_trans"; "mu"; "tau" ], [ for p in m.Parameters -> p.Name ])
    Assert.Equal<string list>([ "Real"; "Real"; "Positive" ], [ for p in m.Parameters -> p.Constraint ])
    torch.manual_seed 3L |> ignore
    let x = torch.randn(5L, 10L, dtype = torch.ScalarType.Float64) * 1.5
    let batched = values (m.LogDensity x)
    let rows = values x
    for c in 0..4 do
        let expected = eightSchoolsByHand rows[c * 10 .. c * 10 + 9]
        Assert.True(abs (batched[c] - expected) <= 1e-10 * abs expected, sprintf "chain %d: %.12g vs %.12g by hand" c batched[c] expected)
        let single = scalar (m.LogDensity(x.narrow(0, int64 c, 1L)))
        Assert.Equal(batched[c], single, 10)
    // The C# delegate form, reading its data by key, is the same model.
    let other = values ((eightSchoolsDelegate ()).LogDensity x)
    for c in 0..4 do Assert.Equal(batched[c], other[c], 10)

[<Fact>]
let ``named values come back on the constrained scale and Unconstrain inverts Constrain`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let m = eightSchools ()
    let x = torch.randn(3L, 10L, dtype = torch.ScalarType.Float64)
    let named = m.Constrain x
    Assert.Equal<int64[]>([| 3L |], named["tau"].shape)
    Assert.Equal<int64[]>([| 3L; 8L |], named["theta"].shape)
    let raw = values x
    let tau = values named["tau"]
    for c in 0..2 do Assert.Equal(exp raw[c * 10 + 9], tau[c], 12)
    let theta = values named["theta"]
    Assert.Equal(raw[0] * tau[0] + raw[8], theta[0], 12)
    let parameters = Dictionary<string, torch.Tensor>(dict [ for p in m.Parameters -> p.Name, named[p.Name] ])
    let back = m.Unconstrain(parameters, 3)
    Assert.True(torch.allclose(back, x, rtol = 1e-12, atol = 1e-12), sprintf "%A vs %A" (values back) raw)
    // A value shared by every chain, and a parameter left out (at the unconstrained origin).
    let shared = values (m.Unconstrain(Dictionary(dict [ "tau", f64 [| 2.0 |] ]), 2))
    Assert.Equal(log 2.0, shared[9], 14)
    Assert.Equal(0.0, shared[8])

[<Fact>]
let ``bounds that depend on another parameter, flat priors and a simplex get their log-det-Jacobians`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let m =
        probModel "dependent" {
            let! a = sample "a" (Uniform(0.0, 1.0))
            let! b = sample "b" (Uniform(0.0, 1.0 - a))          // b in (0, 1 - a)
            let! w = sampleShaped "w" [ 3L ] (Dirichlet(f64 [| 2.0; 3.0; 4.0 |]))
            let! s = flat "s" [] (Constraint.GreaterThan(torch.tensor 1.0))
            return ()
        }
        |> function Ok m -> m | Error e -> failwith e.Message
    Assert.Equal(1 + 1 + 2 + 1, m.Dimension)
    let x = f64 [| 0.3; -1.2; 0.4; -0.7; 0.5; -0.4; 1.1; 0.2; 0.9; 2.0 |] |> fun t -> t.reshape(2L, 5L)
    let lp = values (m.LogDensity x)
    let rows = values x
    let logSigmoid v = -log (1.0 + exp -v)
    for c in 0..1 do
        let r = rows[c * 5 .. c * 5 + 4]
        let a = 1.0 / (1.0 + exp -r[0])
        let width = 1.0 - a
        // log p(a) = 0 on (0, 1), log p(b | a) = -log(1 - a); each interval adds log(width) + log sigmoid(x) + log sigmoid(-x).
        let uniforms = 0.0 + (logSigmoid r[0] + logSigmoid -r[0]) - log width + (log width + logSigmoid r[1] + logSigmoid -r[1])
        let stick = Constraint.Simplex.Bijector
        let u = f64 r[2..3]
        let simplex = scalar (Dist.Dirichlet(f64 [| 2.0; 3.0; 4.0 |]).LogProb(stick.Forward u)) + scalar (stick.LogAbsDetJacobian u)
        let expected = uniforms + simplex + r[4] // flat on s > 1: only log |d s / dx| = x
        Assert.True(abs (lp[c] - expected) <= 1e-10 * (1.0 + abs expected), sprintf "chain %d: %.12g vs %.12g" c lp[c] expected)

[<Fact>]
let ``terms of every shape add up: a matrix parameter, a likelihood wider than a term kept whole, a factor, data alone`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    torch.manual_seed 5L |> ignore
    let n = 1500 // wider than the 1,024 columns a term is concatenated whole
    let y = torch.randn(int64 n, dtype = torch.ScalarType.Float64) * 2.0 + 1.0
    let z = f64 [| 0.5; -1.0; 2.0 |]
    let m =
        Model.Create("shapes", Action<ModelContext>(fun m ->
            let w = m.Sample("w", Dist.Normal(0.0, 1.0, m.Policy), [| 2L; 3L |])       // a [C, 2, 3] prior term
            let mu = m.Sample("mu", Dist.Normal(0.0, 10.0, m.Policy))
            let sigma = m.Sample("sigma", Dist.HalfNormal(2.0, m.Policy))
            m.Factor("penalty", -(w.sum([| 1L; 2L |]).square()))                        // a [C] term
            m.Observe("y", Dist.Normal(mu, sigma), y)                                   // a [C, 1500] term
            m.Observe("z", Dist.Normal(0.0, 1.0, m.Policy), z)))                        // data alone, no chain dimension
    Assert.Equal(8, m.Dimension)
    let x = torch.randn(3L, 8L, dtype = torch.ScalarType.Float64) * 0.5
    let lp = values (m.LogDensity x)
    let rows, ys, zs = values x, values y, values z
    for c in 0..2 do
        let r = rows[c * 8 .. c * 8 + 7]
        let w, mu, logSigma = r[0..5], r[6], r[7]
        let sigma = exp logSigma
        let halfNormal = log 2.0 + normalLog sigma 0.0 2.0
        let expected =
            Array.sumBy (fun v -> normalLog v 0.0 1.0) w + normalLog mu 0.0 10.0 + halfNormal + logSigma
            - (Array.sum w) ** 2.0 + Array.sumBy (fun v -> normalLog v mu sigma) ys + Array.sumBy (fun v -> normalLog v 0.0 1.0) zs
        Assert.True(abs (lp[c] - expected) <= 1e-10 * abs expected, sprintf "chain %d: %.12g vs %.12g by hand" c lp[c] expected)
    // The gradient reaches every coordinate through the concatenation (autograd against central differences).
    let xi = x.detach().requires_grad_(true)
    let grad = values (torch.autograd.grad([| m.LogDensity(xi).sum() |], [| xi |])[0])
    let h = 1e-6
    for j in 0..7 do
        let step = torch.zeros(3L, 8L, dtype = torch.ScalarType.Float64)
        step[0L, int64 j] <- torch.tensor h
        let difference = (values (m.LogDensity(x + step)))[0] - (values (m.LogDensity(x - step)))[0]
        Assert.True(abs (grad[j] - difference / (2.0 * h)) <= 1e-5 * (1.0 + abs grad[j]), sprintf "coordinate %d" j)

let private errorOf (result: Result<Model, BayesError>) =
    match result with
    | Ok _ -> failwith "expected an error"
    | Error e -> e.Message

[<Fact>]
let ``a name used twice, an observation of the wrong shape, a prior of the wrong shape and a missing data key are errors naming them`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let twice = errorOf (probModel "m" { let! a = sample "mu" (Normal(0.0, 1.0))
                                         let! b = sample "mu" (Normal(0.0, 1.0))
                                         return () })
    Assert.Contains("'mu' used twice", twice)
    let wrongShape = errorOf (probModel "m" { let! theta = sampleShaped "theta" [ 8L ] (Normal(0.0, 1.0))
                                              do! observe "y" (Normal(theta, 1.0)) (torch.zeros(10L, dtype = torch.ScalarType.Float64)) })
    Assert.Contains("likelihood of 'y'", wrongShape)
    Assert.Contains("[10]", wrongShape)
    let priorShape = errorOf (probModel "m" { let! theta = sample "theta" (Normal(torch.zeros(8L, dtype = torch.ScalarType.Float64), 1.0))
                                              return () })
    Assert.Contains("prior of 'theta'", priorShape)
    Assert.Contains("batch shape [8]", priorShape)
    let missing = errorOf (probModelWith "m" (Map [ "x", torch.zeros 3L ]) {
                               let! mu = sample "mu" (Normal(0.0, 1.0))
                               let! y = data "y"
                               do! observe "y" (Normal(mu, 1.0)) y })
    Assert.Contains("data 'y'", missing)
    Assert.Contains("'x'", missing)

[<Fact>]
let ``an initial value outside its constraint and a non-finite term are reported by name`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let m = eightSchools ()
    let e = Assert.Throws<ArgumentException>(fun () -> m.Unconstrain(Dictionary(dict [ "tau", f64 [| -1.0 |] ]), 2) |> ignore)
    Assert.Contains("initial value of 'tau'", e.Message)
    Assert.Contains("> 0", e.Message)
    let unknown = Assert.Throws<ArgumentException>(fun () -> m.Unconstrain(Dictionary(dict [ "sigma", f64 [| 1.0 |] ])) |> ignore)
    Assert.Contains("'sigma', which is not a parameter", unknown.Message)
    let far = torch.zeros(1L, 10L, dtype = torch.ScalarType.Float64)
    Assert.Equal(null, m.NonFiniteSite far)
    far[0L, 8L] <- torch.tensor 1e200
    Assert.Equal("mu", m.NonFiniteSite far)
