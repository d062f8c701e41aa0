/// A network posterior's prediction diagnostics (NetworkPosterior.Diagnostics): R-hat and ESS of the predictions grouped by chain,
/// the check that tells chains in different weight modes (weight R-hat far above 1) from chains that disagree on predictions.
module BayesDL.Tests.Mcmc.NetworkPosteriorTests

open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

[<Fact>]
let ``prediction diagnostics group each chain's draws: the largest split R-hat over the predictions, recomputed by hand`` () =
    engineOneThread ()
    NativeEngine.Seed 5L
    let x = torch.linspace(-2.0, 2.0, 12L, dtype = torch.ScalarType.Float64).unsqueeze 1L
    let y = torch.sin(2.0 * x) + 0.1 * torch.randn_like x
    let builder =
        ModelBuilder.Sequential().Linear(1L, 4L).Tanh().Linear(4L, 1L)
            .WithPrior(Priors.Normal(0.0, 1.0)).WithLikelihood(Likelihoods.Gaussian 0.2)
    use posterior = builder.SampleNuts(x, y, HmcOptions(Samples = 40, Warmup = 40, Chains = 3, Seed = 2L, MaxTreeDepth = 4))
    let d = posterior.Diagnostics x
    Assert.Equal(3, d.Groups)
    Assert.Equal("chains", d.GroupedBy)
    Assert.Equal(40, d.DrawsPerGroup)
    Assert.Equal(12, d.Quantities)
    // By hand: predictions [3 x 40, 12, 1], chain after chain; each input's 3 chains of 40 draws.
    use predictive = posterior.Predict x
    let f = values predictive.Samples
    let perInput q = [ for c in 0 .. 2 -> [| for i in 0 .. 39 -> f[(c * 40 + i) * 12 + q] |] ]
    let rHats = [ for q in 0 .. 11 -> McmcDiagnostics.SplitRHat(perInput q) ]
    Assert.Equal(List.max rHats, d.MaxRHat, 12)
    // Grouping the draws by position instead of by chain (draw i of every chain together) gives another value: the test sees
    // the layout.
    let interleaved q = [ for c in 0 .. 2 -> [| for i in 0 .. 39 -> f[(i * 3 + c) * 12 + q] |] ]
    Assert.NotEqual(List.max [ for q in 0 .. 11 -> McmcDiagnostics.SplitRHat(interleaved q) ], d.MaxRHat)
