/// Example-based tests of individual distributions: known values, limits, identities between families.
module BayesDL.Tests.Distributions.DistributionTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Distributions
open BayesDL.KL
open BayesDL.Tests.TestSupport

let private sc (x: float) = cpu64.Scalar x
let private v (xs: float list) = cpu64.Tensor(Array.ofList xs, int64 xs.Length)

[<Fact>]
let ``Exponential variance is 1 over rate squared (TorchSharp's is wrong)`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    Assert.Equal<float[]>([| 0.25; 1.0 / 9.0 |], values (Dist.Exponential(v [ 2.0; 3.0 ]).Variance))

[<Fact>]
let ``HalfCauchy has infinite mean and variance and the closed-form entropy log(2 pi scale)`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let d = Dist.HalfCauchy(1.5, cpu64)
    Assert.True(Double.IsPositiveInfinity(scalar d.Mean) && Double.IsPositiveInfinity(scalar d.Variance))
    Assert.Equal(log (2.0 * Math.PI * 1.5), scalar (d.Entropy()), 12)

[<Fact>]
let ``the scale-mixture prior is evaluated in log space: finite far in the tails and for a tiny spike`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let d = Dist.ScaleMixtureNormal(0.5, 1.0, exp -8.0, cpu64)
    // At w = 40 both component densities underflow in probability space (exp(-800)); the log density is the slab's.
    let lp = scalar (d.LogProb(sc 40.0))
    Assert.Equal(log 0.5 - 800.0 - 0.5 * log (2.0 * Math.PI), lp, 9)
    // At w = 0 the spike dominates: log(0.5/(s2 sqrt(2 pi)) + 0.5/sqrt(2 pi)).
    Assert.Equal(log (0.5 / (exp -8.0 * sqrt (2.0 * Math.PI)) + 0.5 / sqrt (2.0 * Math.PI)), scalar (d.LogProb(sc 0.0)), 12)
    Assert.False(KLDivergence.IsRegistered(Dist.Normal(0.0, 1.0, cpu64), d))

[<Fact>]
let ``the relaxed Bernoulli density integrates to 1 and approaches Bernoulli as the temperature falls`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    for t, p in [ (0.5, 0.3); (1.0, 0.8); (2.0, 0.5) ] do
        let d = Dist.RelaxedBernoulli(sc t, sc p)
        // In t = logit y the density decays like exp(-T |t|): [-36, 36] misses at most ~exp(-18) of the mass for T >= 1/2,
        // and sigmoid(36) is still below 1 in float64.
        // Simpson on 20,001 points (step 0.0036, error ~1e-11 for this smooth integrand), all points in one LogProb call.
        let t = torch.linspace(-36.0, 36.0, 20001L, dtype = torch.ScalarType.Float64)
        let y = t.sigmoid()
        let f = values ((d.LogProb y).exp() * y * (1.0 - y))
        let h = 72.0 / 20000.0
        let mass =
            h / 3.0 * (f[0] + f[20000] + (Array.sum [| for i in 1 .. 2 .. 19999 -> 4.0 * f[i] |])
                       + (Array.sum [| for i in 2 .. 2 .. 19998 -> 2.0 * f[i] |]))
        Assert.Equal(1.0, mass, 6)
    // As T -> 0 the mean tends to p and the variance to p (1 - p).
    let cold = Dist.RelaxedBernoulli(sc 0.02, sc 0.3)
    Assert.Equal(0.3, scalar cold.Mean, 2)
    Assert.Equal(0.21, scalar cold.Variance, 2)

[<Fact>]
let ``a low-rank-plus-diagonal normal equals the full-covariance normal with W W^T + D`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let w = cpu64.Tensor([| 0.5; -0.2; 0.3; 0.9; -0.7; 0.1; 0.2; 0.4 |], 4L, 2L)
    let d = v [ 0.3; 0.6; 1.1; 0.2 ]
    let loc = v [ 0.1; 0.0; -0.3; 0.5 ]
    let lowRank = Dist.LowRankMultivariateNormal(loc, w, d)
    let full = Dist.MultivariateNormal(loc, w.matmul(w.T) + d.diag())
    let x = cpu64.Tensor([| 0.2; -0.1; 0.5; 1.0; -1.0; 0.3; 0.0; 0.7 |], 2L, 4L)
    Assert.True(torch.allclose(lowRank.LogProb x, full.LogProb x, rtol = 1e-12, atol = 1e-12))
    Assert.Equal(scalar (full.Entropy()), scalar (lowRank.Entropy()), 12)
    Assert.True(torch.allclose(lowRank.Variance, full.Variance, rtol = 1e-12, atol = 1e-12))
    let other = Dist.MultivariateNormal(v [ 0.0; 0.1; 0.0; 0.2 ], torch.eye(4L, dtype = torch.ScalarType.Float64) * 1.3)
    Assert.Equal(scalar (KLDivergence.Analytic(full, other)), scalar (KLDivergence.Analytic(lowRank, other)), 11)

[<Fact>]
let ``Bernoulli and Categorical from logits stay finite at extreme logits`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let b = Dist.BernoulliLogits(v [ -80.0; 80.0 ])
    let lp = values (b.LogProb(v [ 1.0; 0.0 ]))
    Assert.Equal(-80.0, lp[0], 9)
    Assert.Equal(-80.0, lp[1], 9)
    let c = Dist.CategoricalLogits(v [ 0.0; -200.0; 5.0 ])
    Assert.Equal(-200.0 - log (1.0 + exp -200.0 + exp 5.0), scalar (c.LogProb(torch.tensor 1L)), 9)
    Assert.True(Double.IsFinite(scalar (c.Entropy())))
    let kl = scalar (KLDivergence.Analytic(Dist.BernoulliLogits(sc -30.0), Dist.BernoulliLogits(sc 30.0)))
    // p = sigmoid(-30): KL ~ (1 - p)(log(1 - p) - log(1 - q)) = softplus(30) - softplus(-30) = 30, up to p * 60 ~ 6e-12.
    Assert.Equal(30.0, kl, 9)

[<Fact>]
let ``Independent reinterprets batch dimensions as event dimensions`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let normal = Dist.Normal(cpu64.Tensor([| 0.0; 1.0; 2.0; 3.0; 4.0; 5.0 |], 2L, 3L), sc 1.5)
    let d = Dist.Independent(normal, 1)
    Assert.Equal<int64[]>([| 2L |], d.BatchShape)
    Assert.Equal<int64[]>([| 3L |], d.EventShape)
    let x = normal.Sample(4L)
    Assert.True(torch.allclose(d.LogProb x, normal.LogProb(x).sum(-1L), rtol = 1e-14, atol = 0.0))
    Assert.True(torch.allclose(d.Entropy(), normal.Entropy().sum(-1L), rtol = 1e-14, atol = 0.0))
    Assert.Equal<int64[]>([| 4L; 2L |], (d.LogProb x).shape)

[<Fact>]
let ``the Monte Carlo KL to the scale-mixture prior is differentiable through RSample`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    NativeEngine.Seed 7L
    let loc = (v [ 0.1; -0.2 ]).requires_grad_()
    let scale = (v [ 0.5; 0.3 ]).requires_grad_()
    let mc = KLDivergence.MonteCarlo(Dist.Normal(loc, scale), Dist.ScaleMixtureNormal(0.5, 1.0, exp -6.0, cpu64), 500)
    mc.Estimate.sum().backward()
    Assert.True(loc.grad.isfinite().all().item<bool>() && scale.grad.isfinite().all().item<bool>())
    Assert.True(scalar (loc.grad.abs().sum()) > 0.0)
