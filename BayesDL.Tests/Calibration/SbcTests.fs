/// Simulation-based calibration (BayesDL.Calibration): correct samplers pass, a too-narrow approximation is flagged,
/// the uniformity test agrees with MathNet, bad input is named.
///
/// Power of the quick settings (Monte Carlo over 2,000 simulated SBC runs of a Gaussian approximation against an exact
/// Gaussian posterior, chi-square test at the 1% level; docs/sbc.md has the table):
/// - samplers, N = 40 replications, L = 9 draws (thinning 2), 5 bins: a correct sampler fails with probability 1% per
///   parameter; one whose posterior sd is 0.31x the true one is flagged with probability 0.96, 0.5x with 0.51, 2x with
///   0.42, a bias of half a posterior sd with 0.30. So these tests catch a grossly wrong sampler, not a subtle one: the
///   `sbc` benchmark (N = 1,000, L = 99, 20 bins) detects each of those with power 1.00.
/// - Gaussian approximations, N = 100, L = 19, 10 bins: sd 0.31x flagged with power 1.000 (0.5x: 0.998).
/// SGLD (decreasing steps) uses the samplers' settings with thinning 1 (its draws are independent chains).
/// Each sampler test costs about 8 s of CPU (40 NUTS or HMC runs of 60 warm-up and 18 kept iterations on a 2-D target);
/// the Gaussian ones well under a second.
module BayesDL.Tests.Calibration.SbcTests

open System
open Xunit
open TorchSharp
open BayesDL.Calibration
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

let private policy = ComputePolicy.Cpu.Float64()

/// Intercept and slope on 20 inputs in [-1, 1]: a well-conditioned 2-D posterior.
let private design () =
    let xs = Array.init 20 (fun i -> -1.0 + 2.0 * float i / 19.0)
    policy.Tensor(xs |> Array.collect (fun v -> [| 1.0; v |]), 20L, 2L)

/// Two nearly collinear inputs (x2 = x1 + 0.1 v): the posterior correlation of w[1] and w[2] is about -0.99, so the
/// exact mean-field Gaussian's marginal sds, 1 / sqrt(Lambda_ii), are far below the true ones sqrt(Sigma_ii).
let private collinearDesign () =
    let rng = Random 5
    let u = Array.init 30 (fun _ -> rng.NextDouble() * 2.0 - 1.0)
    let v = Array.init 30 (fun _ -> rng.NextDouble() * 2.0 - 1.0)
    policy.Tensor(Array.init 30 (fun i -> [| u[i]; u[i] + 0.1 * v[i] |]) |> Array.concat, 30L, 2L)

let private samplerOptions = SbcOptions(Replications = 40, Draws = 9, Thinning = 2, Bins = 5, Seed = 1L)
let private gaussianOptions = SbcOptions(Replications = 100, Draws = 19, Thinning = 1, Bins = 10, Seed = 3L)

let private passesAtOnePercent (result: SbcResult) =
    for p in result.Parameters do
        Assert.True(p.PValue > 0.01, sprintf "%s\n%s has p = %g < 0.01" (string result) p.Name p.PValue)

[<Theory>]
[<InlineData("nuts")>]
[<InlineData("hmc")>]
let ``NUTS and HMC on Bayesian linear regression pass SBC at the 1% level`` (sampler: string) =
    engineOneThread ()
    let x = design ()
    let target = Func<torch.Tensor, LogDensity>(fun y -> LogDensity.BayesianLinearRegression(x, y, 0.5, 1.0))
    let options = HmcOptions(Warmup = 60, Chains = 1)
    let method = if sampler = "nuts" then PosteriorSamplers.Nuts(target, options) else PosteriorSamplers.Hmc(target, options)
    let result = Sbc.Run(SbcModel.BayesianLinearRegression(x, 0.5, 1.0), method, samplerOptions)
    passesAtOnePercent result
    Assert.Equal(40, result.Parameters[0].Ranks.Length)
    Assert.All(result.Parameters, fun p -> Assert.All(p.Ranks, fun r -> Assert.InRange(r, 0, 9)))

/// SGLD with decreasing steps over the weights of one dense layer without bias on the inputs (1, x): that network with an N(0, 1)
/// prior and a Gaussian likelihood of sd 0.5 is the Bayesian linear regression SBC simulates. Minibatches of 10 of the 20 points,
/// eta_t = 0.01 (1 + t / 8)^-1 over 200 steps: eta_0 lambda_max = 0.81 (lambda_max = 81, the largest posterior precision), so
/// the first steps forget the start (sum of eta_t times lambda_min = 30.5 is 8), and the last step's discretisation and
/// minibatch noise inflate the variance by about 3% (eta lambda_max / 2 = 1.5%, eta V / 2 = 1.6% for the minibatch
/// gradient's variance V = 84), far below what these settings can see. Each draw is one chain's final weights (9 chains).
let private sgldOptions epochs =
    SgmcmcOptions(Sampler = SgmcmcKind.Sgld, Epochs = epochs, BatchSize = 10, StepSize = 0.01, StepDecay = 1.0, StepDecayOffset = 8.0)

let private sgldOnLinearRegression (options: SgmcmcOptions) (x: torch.Tensor) =
    let layer = torch.nn.Linear(2L, 1L, hasBias = false, dtype = torch.ScalarType.Float64)
    let network =
        BayesDL.Networks.FunctionalNetwork.From(torch.nn.Sequential(struct ("w", layer :> torch.nn.Module<_, _>)), [| 2L |],
                                                BayesDL.Layers.PriorSpec.Normal(0.0, 1.0))
    PosteriorSamplers.Sgmcmc(network, BayesDL.Predictive.Likelihood.Gaussian(BayesDL.Predictive.GaussianNoise.Fixed, 0.5), x, options)

[<Fact>]
let ``SGLD with decreasing steps on Bayesian linear regression passes SBC at the 1% level`` () =
    engineOneThread ()
    let x = design ()
    let method = sgldOnLinearRegression (sgldOptions 100) x
    Assert.Equal("SGLD (decreasing steps)", method.Name)
    let result = Sbc.Run(SbcModel.BayesianLinearRegression(x, 0.5, 1.0), method, SbcOptions(40, 9, 1, 5, 1L))
    passesAtOnePercent result
    Assert.All(result.Parameters, fun p -> Assert.All(p.Ranks, fun r -> Assert.InRange(r, 0, 9)))

/// The exact posterior (a control: it must pass) and the exact mean-field Gaussian q_i = N(m_i, 1 / Lambda_ii) of the
/// same posterior N(m, Lambda^-1) (Bishop 2006, sec. 10.1.2: mean-field VI of a Gaussian finds the true means and
/// marginal variances 1 / Lambda_ii &lt;= Sigma_ii).
let private gaussian (meanField: bool) (x: torch.Tensor) =
    PosteriorSamplers.Gaussian((if meanField then "mean-field VI" else "exact posterior"), fun y ->
        use exact = ConjugateLinearRegression.Posterior(x, y, 0.5, 1.0)
        if meanField then
            let precisionDiagonal = torch.linalg.inv(exact.Covariance).diagonal()
            new GaussianPosterior(exact.Mean.clone(), torch.diag(1.0 / precisionDiagonal))
        else new GaussianPosterior(exact.Mean.clone(), exact.Covariance.clone()))

[<Fact>]
let ``the exact posterior of a strongly correlated regression passes SBC`` () =
    engineOneThread ()
    let x = collinearDesign ()
    passesAtOnePercent (Sbc.Run(SbcModel.BayesianLinearRegression(x, 0.5, 1.0), gaussian false x, gaussianOptions))

[<Fact>]
let ``a mean-field Gaussian of a strongly correlated posterior is flagged: its marginals are too narrow`` () =
    engineOneThread ()
    let x = collinearDesign ()
    use exact = ConjugateLinearRegression.Posterior(x, torch.zeros(30L, dtype = torch.ScalarType.Float64), 0.5, 1.0)
    let c = exact.Covariance.data<float>().ToArray()
    Assert.True(c[1] / sqrt (c[0] * c[3]) < -0.95, sprintf "posterior correlation %f" (c[1] / sqrt (c[0] * c[3])))
    let result = Sbc.Run(SbcModel.BayesianLinearRegression(x, 0.5, 1.0), gaussian true x, gaussianOptions)
    Assert.True(result.AdjustedPValue < 0.01, string result)
    // Too narrow: the true value falls outside the draws, so the extreme bins fill (a U-shaped histogram).
    for p in result.Parameters do
        let outer = p.BinCounts[0] + p.BinCounts[9]
        Assert.True(outer > 2 * 100 / 10, sprintf "%s: outer bins %d of 100" p.Name outer)

[<Fact>]
let ``the chi-square p-value and the uniformity band agree with MathNet`` () =
    engine ()
    for (x, k) in [ (0.5, 1); (16.0, 9); (3.2, 4); (40.0, 19); (0.0, 4) ] do
        let expected = 1.0 - MathNet.Numerics.Distributions.ChiSquared.CDF(float k, x)
        Assert.Equal(expected, RankUniformity.ChiSquarePValue(x, k), 10)
    Assert.Equal(RankUniformity.ChiSquare([| 10; 10; 10; 10 |]), 0.0)
    Assert.Equal(RankUniformity.ChiSquare([| 20; 0; 10; 10 |]), 20.0, 12) // (100 + 100 + 0 + 0) / 10
    let low, high = RankUniformity.Band(1000, 20, 0.99).ToTuple()
    let binomial = MathNet.Numerics.Distributions.Binomial(0.05, 1000)
    let cdf (k: int) = binomial.CumulativeDistribution(float k)
    Assert.True(cdf low > 0.005 && cdf (low - 1) <= 0.005, sprintf "low %d" low)
    Assert.True(cdf high >= 0.995 && cdf (high - 1) < 0.995, sprintf "high %d" high)
    Assert.Equal<int>([| 2; 1; 1 |], RankUniformity.Histogram([| 0; 1; 8; 5 |], 8, 3))

let private constantMethod (d: int) =
    PosteriorSamplers.FromFunction("constant", fun _ count _ -> torch.zeros(int64 count, int64 d, dtype = torch.ScalarType.Float64))

[<Fact>]
let ``a simulator of the wrong shape, bad options and bad draws are errors naming them`` () =
    engineOneThread ()
    let x = design ()
    let good = SbcModel.BayesianLinearRegression(x, 0.5, 1.0)
    let twoByTwenty = fun (_: torch.Tensor) -> torch.zeros(20L, 2L, dtype = torch.ScalarType.Float64)
    let wrongShape = SbcModel("wrong", [| "w[1]"; "w[2]" |], [| 20L |], good.Prior, twoByTwenty)
    let small = SbcOptions(Replications = 2, Draws = 9, Bins = 5)
    let e = Assert.Throws<ArgumentException>(fun () -> Sbc.Run(wrongShape, constantMethod 2, small) |> ignore)
    Assert.Contains("model.Simulate (wrong)", e.Message)
    Assert.Contains("[20, 2]", e.Message)
    Assert.Contains("[20]", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> Sbc.Run(good, constantMethod 2, SbcOptions(Draws = 0)) |> ignore)
    Assert.Contains("Draws", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> Sbc.Run(good, constantMethod 2, SbcOptions(Draws = 99, Bins = 7)) |> ignore)
    Assert.Contains("divisor of Draws + 1 = 100", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> Sbc.Run(good, constantMethod 3, small) |> ignore)
    Assert.Contains("method (constant)", e.Message)
    Assert.Contains("[9, 3]", e.Message)
    Assert.Contains("[9, 2]", e.Message)
    let nan =
        PosteriorSamplers.FromFunction("nan", fun _ count _ -> torch.full(int64 count, 2L, Double.NaN, dtype = torch.ScalarType.Float64))
    let e = Assert.Throws<ArgumentException>(fun () -> Sbc.Run(good, nan, small) |> ignore)
    Assert.Contains("nan", e.Message)
    Assert.Contains("replication 0", e.Message)
