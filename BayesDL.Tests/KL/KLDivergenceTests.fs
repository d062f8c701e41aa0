module BayesDL.Tests.KL.KLDivergenceTests

open System
open Xunit
open TorchSharp
open BayesDL.Distributions
open BayesDL.KL
open BayesDL.Engine
open BayesDL.Tests.TestSupport

let private t (xs: float list) = cpu64.Tensor(Array.ofList xs, int64 xs.Length)

/// A user family deriving from Distribution directly: a unit-scale Normal, used to test dispatch.
type UnitNormal(loc: torch.Tensor) =
    inherit Distribution(loc.shape, [||], false)
    member _.Loc = loc
    override _.Device = loc.device
    override _.Dtype = loc.dtype
    override _.LogProb v = -0.5 * (v - loc).square() - 0.5 * Math.Log(2.0 * Math.PI)
    override _.Entropy() = torch.zeros_like loc + (0.5 + 0.5 * Math.Log(2.0 * Math.PI))
    override _.Mean = loc
    override _.Variance = torch.ones_like loc
    override _.HasRSample = true
    override this.RSample(shape) = loc + torch.randn(this.ExtendedShape shape, dtype = loc.dtype)

/// A subclass of the user family: dispatch must fall back to the parent's pair, unless a more specific one exists.
type ShiftedUnitNormal(loc: torch.Tensor) =
    inherit UnitNormal(loc)

[<Fact>]
let ``the analytic KL of two normals is the textbook formula`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let p = Dist.Normal(t [ 0.3; -1.0 ], t [ 0.5; 2.0 ])
    let q = Dist.Normal(t [ 1.0; 0.0 ], t [ 1.5; 0.1 ])
    let expected =
        [ for (m1, s1, m2, s2) in [ (0.3, 0.5, 1.0, 1.5); (-1.0, 2.0, 0.0, 0.1) ] ->
            log (s2 / s1) + (s1 * s1 + (m1 - m2) ** 2.0) / (2.0 * s2 * s2) - 0.5 ]
    let actual = values (KLDivergence.Analytic(p, q))
    List.iteri (fun i e -> Assert.Equal(e, actual[i], 12)) expected

[<Fact>]
let ``the gradient of the normal KL is exact both where scales are near each other and where they are not`` () =
    // Elements with s1/s2 within 1e-3 of 1 take the series (evaluated on those elements only and scattered back);
    // the others the textbook form. d KL / d s1 = -1/s1 + s1/s2^2 and d KL / d m1 = (m1 - m2)/s2^2 in both.
    engine ()
    use scope = torch.NewDisposeScope()
    let s1Values = [ 1.0; 1.0 + 1e-9; 0.9995; 0.05; 3.0; 1.0 - 2e-4 ]
    let s1 = (t s1Values).requires_grad_()
    let m1 = (t [ 0.1; -0.2; 0.0; 0.3; 1.0; 0.0 ]).requires_grad_()
    let kl = KLDivergence.Analytic(Dist.Normal(m1, s1), Dist.Normal(t [ 0.0; 0.0; 0.0; 0.0; 0.0; 0.0 ], t [ 1.0; 1.0; 1.0; 1.0; 1.0; 1.0 ]))
    kl.sum().backward()
    let gs, gm = values s1.grad, values m1.grad
    s1Values |> List.iteri (fun i s -> Assert.Equal(-1.0 / s + s, gs[i], 12))
    values m1 |> Array.iteri (fun i m -> Assert.Equal(m, gm[i], 12))

[<Fact>]
let ``an unregistered pair is an error naming the pair and listing the registered pairs`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let p = Dist.Normal(0.0, 1.0, cpu64)
    let q = Dist.ScaleMixtureNormal(0.5, 1.0, 0.01, cpu64)
    Assert.False(KLDivergence.IsRegistered(p, q))
    let e = Assert.Throws<ArgumentException>(fun () -> KLDivergence.Analytic(p, q) |> ignore)
    Assert.Contains("(Normal, ScaleMixtureNormal)", e.Message)
    Assert.Contains("Normal-Normal", e.Message)
    Assert.Contains("Laplace-Laplace", e.Message)
    Assert.Contains("MonteCarlo", e.Message)

[<Fact>]
let ``lookup picks the most specific registered pair and user registrations serve subclasses`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let a = UnitNormal(t [ 0.0; 1.0 ])
    let b = ShiftedUnitNormal(t [ 2.0; 1.0 ])
    Assert.False(KLDivergence.IsRegistered(a, b))
    // KL(N(a, 1) || N(b, 1)) = (a - b)^2 / 2.
    KLDivergence.Register<UnitNormal, UnitNormal>(fun p q -> 0.5 * (p.Loc - q.Loc).square())
    Assert.True(KLDivergence.IsRegistered(a, b))
    Assert.Equal<float[]>([| 2.0; 0.0 |], values (KLDivergence.Analytic(a, b)))
    // A generic (Distribution, UnitNormal) pair is less specific than (UnitNormal, UnitNormal): not chosen.
    KLDivergence.Register<Distribution, UnitNormal>(fun _ q -> torch.zeros_like q.Loc - 1.0)
    Assert.Equal<float[]>([| 2.0; 0.0 |], values (KLDivergence.Analytic(a, b)))
    // A pair registered on the subclass is more specific still and wins for it.
    KLDivergence.Register<UnitNormal, ShiftedUnitNormal>(fun _ q -> torch.zeros_like q.Loc + 7.0)
    Assert.Equal<float[]>([| 7.0; 7.0 |], values (KLDivergence.Analytic(a, b)))
    Assert.Equal<float[]>([| 0.0; 0.0 |], values (KLDivergence.Analytic(a, a)))
    // The generic pair applies where nothing closer exists.
    Assert.Equal<float[]>([| -1.0; -1.0 |], values (KLDivergence.Analytic(Dist.Normal(t [ 0.0; 0.0 ], t [ 1.0; 1.0 ]), a)))
    Assert.Contains(KLDivergence.RegisteredPairs, fun k -> k.Name = "UnitNormal-ShiftedUnitNormal")

[<Fact>]
let ``the Monte Carlo estimate lies within 5 standard errors of the analytic KL`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    NativeEngine.Seed 11L
    let p = Dist.Normal(t [ 0.3; -1.0 ], t [ 0.5; 2.0 ])
    let q = Dist.Normal(t [ 1.0; 0.0 ], t [ 1.5; 3.0 ])
    let mc = KLDivergence.MonteCarlo(p, q, 20000)
    Assert.Equal(20000, mc.Samples)
    let exact = values (KLDivergence.Analytic(p, q))
    let est, se = values mc.Estimate, values mc.StandardError
    for i in 0 .. 1 do
        Assert.True(se[i] > 0.0 && se[i] < 0.05, sprintf "standard error %g" se[i])
        // 5 SE: a correct estimator fails this with probability below 1e-6 (normal tail), a wrong formula by far more.
        Assert.True(abs (est[i] - exact[i]) < 5.0 * se[i], sprintf "MC %g +- %g vs analytic %g" est[i] se[i] exact[i])

[<Fact>]
let ``the Monte Carlo KL needs at least two samples and compatible shapes`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let p = Dist.Normal(t [ 0.0; 1.0 ], t [ 1.0; 1.0 ])
    let e = Assert.Throws<ArgumentException>(fun () -> KLDivergence.MonteCarlo(p, p, 1) |> ignore)
    Assert.Contains("'samples'", e.Message)
    let q3 = Dist.Normal(t [ 0.0; 1.0; 2.0 ], t [ 1.0; 1.0; 1.0 ])
    let e2 = Assert.Throws<ArgumentException>(fun () -> KLDivergence.Analytic(p, q3) |> ignore)
    Assert.Contains("batch shape [3]", e2.Message)

[<Fact>]
let ``KL of diagonal normals is the sum of the per-dimension KLs`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let pl, ps = cpu64.Tensor([| 0.1; 0.2; 0.3; 0.4; 0.5; 0.6 |], 2L, 3L), cpu64.Tensor([| 1.0; 2.0; 0.5; 0.7; 1.1; 3.0 |], 2L, 3L)
    let ql, qs = torch.zeros(3L, dtype = torch.ScalarType.Float64), torch.ones(3L, dtype = torch.ScalarType.Float64)
    let diag = KLDivergence.Analytic(Dist.DiagonalNormal(pl, ps), Dist.DiagonalNormal(ql, qs))
    Assert.Equal<int64[]>([| 2L |], diag.shape)
    let perDim = KLDivergence.Analytic(Dist.Normal(pl, ps), Dist.Normal(ql, qs)).sum(1L)
    Assert.True(torch.allclose(diag, perDim, rtol = 1e-14, atol = 0.0))
