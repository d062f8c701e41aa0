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
    let e = Assert.Throws<ArgumentException>(fun () -> Likelihood.Gaussian(GaussianNoise.Fixed, 1.0).LogLikelihood(torch.zeros(3L, 1L),
                                                                                                                   torch.zeros(3L))
                                                                                                                   |> ignore)
    Assert.Contains("target.unsqueeze(1)", e.Message)
    let e2 = Assert.Throws<ArgumentException>(fun () -> Likelihood.Categorical().LogLikelihood(torch.zeros(3L, 2L),
                                                                                               torch.zeros(3L)) |> ignore)
    Assert.Contains("int64", e2.Message)
    let e3 =
        Assert.Throws<ArgumentException>(fun () ->
            Likelihood.Gaussian(GaussianNoise.Heteroscedastic).LogLikelihood(torch.zeros(3L, 3L), torch.zeros(3L, 1L)) |> ignore)
    Assert.Contains("even", e3.Message)
    Assert.Throws<ArgumentException>(fun () -> Likelihood.Gaussian(GaussianNoise.Fixed, -1.0) |> ignore) |> ignore

[<Fact>]
let ``class labels outside the categorical likelihood's classes or of the wrong dtype are refused in BayesDL's words`` () =
    engine ()
    use logits = torch.zeros(4L, 3L, dtype = torch.ScalarType.Float64)
    let categorical = Likelihood.Categorical()
    // libtorch's cross_entropy would say "Target 7 is out of bounds." (or read out of range for negative labels).
    for label, index in [ 7L, 2; -1L, 1; 3L, 3 ] do
        use target = torch.tensor(Array.init 4 (fun i -> if i = index then label else 0L))
        let e = Assert.Throws<ArgumentException>(fun () -> categorical.LogLikelihood(logits, target) |> ignore)
        Assert.StartsWith("CategoricalLikelihood: parameter 'target' must be a class index in [0, 2]", e.Message)
        Assert.Contains(sprintf "found %d at index [%d]" label index, e.Message)
        Assert.Contains("3 class logits", e.Message)
    use floats = torch.tensor([| 0.0; 1.0; 2.0; 1.0 |])
    let e = Assert.Throws<ArgumentException>(fun () -> categorical.LogLikelihood(logits, floats) |> ignore)
    Assert.Contains("dtype Float64", e.Message)
    Assert.Contains("to(ScalarType.Int64)", e.Message)
    // Valid labels still score.
    use ok = torch.tensor([| 0L; 1L; 2L; 1L |])
    Assert.Equal(4.0 * -Math.Log 3.0, scalar (categorical.LogLikelihood(logits, ok).sum()), 12)

[<Fact>]
let ``fitting a classifier on labels beyond its classes stops with the likelihood's message, not the engine's`` () =
    engine ()
    use built =
        BayesDL.Builders.ModelBuilder.Sequential().BayesLinear(4L, 3L)
            .WithLikelihood(BayesDL.Builders.Likelihoods.Categorical()).Build(cpu64)
    use data = new BayesDL.Data.LabeledData(torch.rand(6L, 4L, dtype = torch.ScalarType.Float64),
                                            torch.tensor([| 0L; 1L; 2L; 9L; 1L; 0L |]))
    let e = Assert.Throws<ArgumentException>(fun () -> built.Fit(data,
                                                                 BayesDL.Builders.VariationalFitOptions(Epochs = 1, Seed = 1L)) |> ignore)
    Assert.Contains("CategoricalLikelihood: parameter 'target'", e.Message)
    Assert.Contains("found 9", e.Message)

[<Fact>]
let ``likelihood specs are typed, and their JSON keeps the string form model files have always had`` () =
    let specs =
        [ BayesDL.Builders.Likelihoods.Gaussian 0.5, LikelihoodKind.Gaussian, GaussianNoise.Fixed,
            """{"Kind":"GaussianLikelihood","Noise":"Fixed","Sigma":0.5}"""
          BayesDL.Builders.Likelihoods.GaussianLearned(), LikelihoodKind.Gaussian, GaussianNoise.Homoscedastic,
            """{"Kind":"GaussianLikelihood","Noise":"Homoscedastic","Sigma":1}"""
          BayesDL.Builders.Likelihoods.Heteroscedastic(), LikelihoodKind.Gaussian, GaussianNoise.Heteroscedastic,
            """{"Kind":"GaussianLikelihood","Noise":"Heteroscedastic","Sigma":1}"""
          BayesDL.Builders.Likelihoods.Bernoulli(), LikelihoodKind.Bernoulli, GaussianNoise.Fixed,
            """{"Kind":"BernoulliLikelihood","Noise":"","Sigma":1}"""
          BayesDL.Builders.Likelihoods.Categorical(), LikelihoodKind.Categorical, GaussianNoise.Fixed,
            """{"Kind":"CategoricalLikelihood","Noise":"","Sigma":1}""" ]
    for spec, kind, noise, json in specs do
        Assert.Equal(kind, spec.Kind)
        Assert.Equal(noise, spec.Noise)
        Assert.Equal(json, Text.Json.JsonSerializer.Serialize spec)
        Assert.Equal(spec, Text.Json.JsonSerializer.Deserialize<LikelihoodSpec> json)
        // A built likelihood describes itself with the same spec.
        use built = Likelihood.FromSpec spec
        Assert.Equal(spec, built.Describe())
    // The short form a version-1 file may hold, and strings that name no likelihood.
    Assert.Equal(LikelihoodSpec(LikelihoodKind.Categorical),
                 Text.Json.JsonSerializer.Deserialize<LikelihoodSpec> """{"Kind":"CategoricalLikelihood"}""")
    for bad in [ """{"Kind":"PoissonLikelihood"}"""; """{"Kind":"GaussianLikelihood","Noise":"Loud"}"""; """{"Kind":3}""" ] do
        Assert.Throws<Text.Json.JsonException>(fun () -> Text.Json.JsonSerializer.Deserialize<LikelihoodSpec> bad |> ignore) |> ignore
