/// The correlated-Gaussian dense layer: its KL is the closed form for its (posterior, prior) pair, it draws weights
/// with the declared covariance, and a small regression fitted with it beats the prior predictive.
module BayesDL.Tests.Layers.MultivariateBayesLinearTests

open System
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Distributions
open BayesDL.Engine
open BayesDL.KL
open BayesDL.Layers
open BayesDL.Tests.TestSupport

let private f64 = torch.ScalarType.Float64

/// KL(N(mu, Sigma) || N(m0 1, s0^2 I)) from the dense covariance: 1/2 [tr(Sigma)/s0^2 + |mu - m0|^2/s0^2 - d + d log s0^2 - log det Sigma].
let private denseKL (mu: torch.Tensor) (sigma: torch.Tensor) (m0: float) (s0: float) =
    let d = float mu.shape[0]
    let trace = scalar (sigma.trace ()) / (s0 * s0)
    let centred = scalar ((mu - m0).square().sum()) / (s0 * s0)
    0.5 * (trace + centred - d + d * Math.Log(s0 * s0) - 2.0 * scalar (torch.linalg.cholesky(sigma).diagonal().log().sum()))

let private randomizeParameters (layer: MultivariateBayesLinear) =
    use _ = torch.no_grad ()
    for p in layer.parameters () do p.copy_(0.3 * torch.randn_like p) |> ignore

[<Theory>]
[<InlineData(3)>]  // low rank 3 plus diagonal
[<InlineData(0)>]  // full Cholesky factor
let ``the layer's KL equals KLDivergence for its pair and the dense closed form`` (rank: int) =
    engine ()
    NativeEngine.Seed 17L
    let layer = cpu64.Apply(BayesNN.MultivariateBayesLinear(4L, 3L, MultivariateBayesOptions(rank, Priors.Normal(0.2, 0.7))))
    randomizeParameters layer
    Assert.Equal(15L, layer.Parameters)
    let q = layer.Posterior()
    Assert.IsType((if rank > 0 then typeof<LowRankMultivariateNormal> else typeof<MultivariateNormal>), q)
    let reported = scalar (layer.KL())
    Assert.Equal(scalar (KLDivergence.Analytic(q, layer.PriorDistribution())), reported, 10)
    // Independently: the dense covariance of q (LowRank: U U^T + D, full: L L^T) in the textbook formula,
    // and the registry's pair of dense multivariate normals.
    let sigma =
        match q with
        | :? LowRankMultivariateNormal as l -> l.Covariance
        | :? MultivariateNormal as m -> m.Covariance
        | _ -> failwith "q"
    Assert.Equal(denseKL q.Mean sigma 0.2 0.7, reported, 9)
    let p = Dist.MultivariateNormal(torch.full(15L, 0.2, dtype = f64), 0.49 * torch.eye(15L, dtype = f64))
    Assert.Equal(scalar (KLDivergence.Analytic(Dist.MultivariateNormal(q.Mean, sigma), p)), reported, 9)

[<Fact>]
let ``a Laplace prior has no closed form with a correlated posterior, so the KL is a Monte Carlo estimate around the truth`` () =
    // E_q[log q - log p] = -H(q) - sum_i E[log Laplace(theta_i)], with E|X - m| for X ~ N(mu, s^2) in closed form:
    // s sqrt(2/pi) exp(-(mu-m)^2 / 2s^2) + (mu - m)(1 - 2 Phi(-(mu-m)/s)).
    engine ()
    NativeEngine.Seed 5L
    let layer = cpu64.Apply(BayesNN.MultivariateBayesLinear(2L, 2L,
                                                            MultivariateBayesOptions(2, Priors.Laplace(0.0, 0.5), KLSamples = 4000)))
    randomizeParameters layer
    let q = layer.Posterior()
    let mu = values q.Mean
    let sd = values q.StdDev
    let normal = MathNet.Numerics.Distributions.Normal(0.0, 1.0)
    let absMean i =
        sd[i] * sqrt (2.0 / Math.PI) * exp (-(mu[i] ** 2.0) / (2.0 * sd[i] ** 2.0))
        + mu[i] * (1.0 - 2.0 * normal.CumulativeDistribution(-mu[i] / sd[i]))
    let expectedLogP = [ 0 .. mu.Length - 1 ] |> List.sumBy (fun i -> -Math.Log(2.0 * 0.5) - absMean i / 0.5)
    let truth = -(scalar (q.Entropy())) - expectedLogP
    let mc = KLDivergence.MonteCarlo(q, layer.PriorDistribution(), 4000)
    Assert.False(KLDivergence.IsRegistered(q, layer.PriorDistribution()))
    // The layer's estimate and the reference share the estimator: both within 5 standard errors of the truth.
    let se = scalar mc.StandardError
    Assert.True(abs (scalar (layer.KL()) - truth) < 5.0 * se, sprintf "KL %f vs %f (se %f)" (scalar (layer.KL())) truth se)

[<Fact>]
let ``weight draws have the posterior's covariance`` () =
    // With x = 0 the output is the bias draw b; its empirical variances over 20,000 draws match the posterior's
    // within 5 standard errors of a variance estimate (relative standard error sqrt(2/n)), and so does the covariance.
    engine ()
    NativeEngine.Seed 9L
    let layer = cpu64.Apply(BayesNN.MultivariateBayesLinear(2L, 2L, MultivariateBayesOptions(1)))
    randomizeParameters layer
    let n = 20000
    layer.WeightDraws <- n
    use x = torch.tensor([| 0.0; 0.0 |], dtype = f64).unsqueeze(0).expand(int64 n, 2L).contiguous()
    use y = (use _ = torch.no_grad () in layer.forward x)
    layer.WeightDraws <- 1
    let q = layer.Posterior() :?> LowRankMultivariateNormal
    // The biases are coordinates 4 and 5 of theta = vec(W, b).
    let cov = q.Covariance
    let centred = y - y.mean([| 0L |])
    let empirical = centred.t().matmul(centred) / float (n - 1)
    for i in 0..1 do
        let v = scalar cov[4L + int64 i, 4L + int64 i]
        Assert.True(abs (scalar empirical[int64 i, int64 i] - v) < 5.0 * v * sqrt (2.0 / float n), sprintf "var %d" i)
    // The rank-1 factor correlates them: the sample covariance has standard error sqrt((s1^2 s2^2 + c^2) / n).
    let v0, v1, c = scalar cov[4L, 4L], scalar cov[5L, 5L], scalar cov[4L, 5L]
    Assert.True(abs (scalar empirical[0L, 1L] - c) < 5.0 * sqrt ((v0 * v1 + c * c) / float n),
                sprintf "cov %f vs %f" (scalar empirical[0L, 1L]) c)

[<Fact>]
let ``a low-rank Bayesian regression fits: the loss decreases and the predictive beats the prior predictive`` () =
    engine ()
    NativeEngine.Seed 3L
    let x = torch.rand(64L, 1L, dtype = f64) * 2.0 - 1.0
    let y = 2.0 * x - 1.0 + 0.1 * torch.randn_like x
    use data = new BayesDL.Data.LabeledData(x, y)
    // A Bayesian linear regression: slope and intercept get one rank-1-plus-diagonal Gaussian (they are correlated a posteriori).
    let fit =
        ModelBuilder.Sequential().BayesLinear(1L, 1L).WithVariational(VariationalFamily.LowRank 1)
            .WithLikelihood(Likelihoods.Gaussian 0.1)
            .FitVariational(data, VariationalFitOptions(Epochs = 60, BatchSize = 64, LearningRate = 0.1, Seed = 1L), cpu64)
    use _ = fit.Model
    Assert.All(fit.Model.Network.VariationalLayers, fun l -> Assert.IsType<MultivariateBayesLinear>(l) |> ignore)
    let first, last = fit.Epochs[0].MeanLoss, fit.Epochs[fit.Epochs.Count - 1].MeanLoss
    Assert.True(last < first, sprintf "loss %f -> %f" first last)
    use p = fit.Model.Predict(x, 50)
    // The prior predictive mean is 0 (slope and intercept have prior mean 0), so its squared error is mean y^2 ≈ 2.3;
    // a fit of a line with noise sd 0.1 should be far closer (0.1 is 10 noise variances).
    let mse = scalar ((p.Mean() - y).square().mean())
    let priorMse = scalar (y.square().mean())
    Assert.True(mse < 0.1 && mse < priorMse / 10.0, sprintf "predictive mse %f, prior %f" mse priorMse)
