module BayesDL.Tests.Objectives.LikelihoodTests

open System
open Xunit
open TorchSharp
open MathNet.Numerics.Distributions
open BayesDL.Objectives
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

[<Fact>]
let ``Gaussian log-likelihoods match MathNet for fixed, learned and predicted noise`` () =
    engine ()
    use out = cpu64.Tensor([| 0.5; -1.0 |], 2L, 1L)
    use y = cpu64.Tensor([| 0.2; 0.4 |], 2L, 1L)
    let fixedNoise = Likelihood.Gaussian(GaussianNoise.Fixed, 0.7)
    Assert.Equal<float[]>([| Normal.PDFLn(0.5, 0.7, 0.2); Normal.PDFLn(-1.0, 0.7, 0.4) |] |> Array.map (fun v -> Math.Round(v, 10)),
        values (fixedNoise.LogLikelihood(out, y)) |> Array.map (fun v -> Math.Round(v, 10)))
    let learned = Likelihood.Gaussian(GaussianNoise.Homoscedastic, 2.0)
    Assert.Equal(2.0, learned.NoiseSigma, 5)
    Assert.Single(learned.parameters()) |> ignore
    // Heteroscedastic: output [N, 2D] = mean, raw scale with sigma = softplus(raw) + 1e-6.
    use out2 = cpu64.Tensor([| 0.5; 0.0 |], 1L, 2L)
    use y2 = cpu64.Tensor([| 0.2 |], 1L, 1L)
    let hetero = Likelihood.Gaussian(GaussianNoise.Heteroscedastic)
    Assert.Equal(Normal.PDFLn(0.5, Math.Log 2.0 + 1e-6, 0.2), scalar (hetero.LogLikelihood(out2, y2)), 9)
    use p = hetero.Predictive(cpu64.Tensor([| 0.5; 0.0; 1.5; 0.0 |], 2L, 1L, 2L))
    Assert.Equal((Math.Log 2.0 + 1e-6) ** 2.0, scalar (p.AleatoricVariance()), 9)
    Assert.Equal(0.25, scalar (p.EpistemicVariance()), 12)

[<Fact>]
let ``Bernoulli and categorical log-likelihoods are stable log probabilities`` () =
    engine ()
    use f = cpu64.Tensor([| 0.3; -50.0 |], 2L, 1L)
    use y = cpu64.Tensor([| 1.0; 1.0 |], 2L, 1L)
    let ll = values (Likelihood.Bernoulli().LogLikelihood(f, y))
    Assert.Equal(Math.Log(1.0 / (1.0 + Math.Exp -0.3)), ll[0], 12)
    Assert.Equal(-50.0, ll[1], 9) // log sigmoid(-50) ≈ -50, finite
    use logits = cpu64.Tensor([| 1.0; 2.0; 0.5 |], 1L, 3L)
    let lse = Math.Log(Math.Exp 1.0 + Math.Exp 2.0 + Math.Exp 0.5)
    Assert.Equal(2.0 - lse, scalar (Likelihood.Categorical().LogLikelihood(logits, torch.tensor([| 1L |]))), 12)
    use bp = Likelihood.Bernoulli().Predictive(cpu64.Tensor([| 0.0 |], 1L, 1L, 1L))
    Assert.Equal<float[]>([| 0.5; 0.5 |], values bp.Samples)

[<Fact>]
let ``likelihood inputs are validated`` () =
    engine ()
    let e = Assert.Throws<ArgumentException>(fun () -> Likelihood.Gaussian(GaussianNoise.Fixed, 1.0).LogLikelihood(torch.zeros(3L, 1L), torch.zeros(3L)) |> ignore)
    Assert.Contains("target.unsqueeze(1)", e.Message)
    let e2 = Assert.Throws<ArgumentException>(fun () -> Likelihood.Categorical().LogLikelihood(torch.zeros(3L, 2L), torch.zeros(3L)) |> ignore)
    Assert.Contains("int64", e2.Message)
    let e3 = Assert.Throws<ArgumentException>(fun () -> Likelihood.Gaussian(GaussianNoise.Heteroscedastic).LogLikelihood(torch.zeros(3L, 3L), torch.zeros(3L, 1L)) |> ignore)
    Assert.Contains("even", e3.Message)
    Assert.Throws<ArgumentException>(fun () -> Likelihood.Gaussian(GaussianNoise.Fixed, -1.0) |> ignore) |> ignore
