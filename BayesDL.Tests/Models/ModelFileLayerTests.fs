/// ModelFile with the correlated-posterior and dropout layers the builders and the DSL make (MultivariateBayesLinear low
/// and full rank, concrete dropout, variational concrete dropout, MC dropout), files of format version 1, and the errors.
module BayesDL.Tests.Models.ModelFileLayerTests

open System.IO
open System.Text
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

let private orFail r = r |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)

/// Saves and loads in a fresh folder (float64 CPU); the folder holds only the model afterwards (no temporary file left).
let private roundTrip (model: BayesianNetwork) =
    use dir = new TempDir()
    let path = dir.File "model.bnn"
    ModelFile.Save(model, path)
    Assert.Equal<string[]>([| "model.bnn" |], Directory.GetFiles dir.Path |> Array.map Path.GetFileName)
    ModelFile.Load(path, cpu64)

/// Same keys in the same order (so the same layer names) and bit-identical values for every parameter and buffer.
let private assertSameState (a: torch.nn.Module) (b: torch.nn.Module) =
    let sa, sb = a.state_dict(), b.state_dict()
    Assert.Equal<string[]>(Array.ofSeq sa.Keys, Array.ofSeq sb.Keys)
    for KeyValue(key, t) in sa do
        Assert.True((values t = values sb[key]), $"state '{key}' differs after loading")

/// Seeded stochastic outputs: T predictive draws in evaluation mode (Monte Carlo masks, weight draws) and one
/// training-mode pass (the relaxed Concrete masks, which depend on the temperature).
let private seededOutputs (m: BayesianNetwork) (x: torch.Tensor) =
    NativeEngine.Seed 77L
    use p = m.Predict(x, 6)
    m.train()
    NativeEngine.Seed 78L
    use y = m.forward x
    m.eval()
    values p.Samples, values y

let private assertSamePredictions (a: BayesianNetwork) (b: BayesianNetwork) (x: torch.Tensor) =
    let (pa, ya), (pb, yb) = seededOutputs a x, seededOutputs b x
    Assert.Equal<float[]>(pa, pb)
    Assert.Equal<float[]>(ya, yb)
    // A second seed gives other draws: the equality above is not that of two deterministic networks.
    NativeEngine.Seed 79L
    use other = a.Predict(x, 6)
    Assert.NotEqual<float[]>(pa, values other.Samples)

let private regressionData () =
    NativeEngine.Seed 3L
    let x = torch.rand(64L, 2L, dtype = torch.ScalarType.Float64)
    new LabeledData(x, x.sum(1L, keepdim = true).sin() + 0.05 * torch.randn(64L, 1L, dtype = torch.ScalarType.Float64))

let private changed (before: float[]) (after: torch.Tensor) = before <> values after

[<Theory>]
[<InlineData 2>]
[<InlineData 0>]
let ``a trained low-rank or full-rank (rank 0) model round-trips with options, parameters, KL and seeded predictions`` (rank: int) =
    engine ()
    use data = regressionData ()
    let family = if rank > 0 then VariationalFamily.LowRank rank else VariationalFamily.FullRank
    let built =
        ModelBuilder.Sequential().BayesLinear(2L, 6L).Tanh().BayesLinear(6L, 1L, prior = PriorSpec.Laplace(0.0, 0.5))
            .WithPrior(PriorSpec.Normal(0.0, 0.7)).WithVariational(family).WithLikelihood(Likelihoods.GaussianLearned 0.5).Build(cpu64)
    use _ = built
    let model = built.Network
    let layers () = model.VariationalLayers |> Seq.cast<MultivariateBayesLinear> |> Array.ofSeq
    let initial = model.state_dict() |> Seq.map (fun kv -> kv.Key, values kv.Value) |> Map.ofSeq
    built.Fit(data, VariationalFitOptions(Epochs = 2, BatchSize = 16, LearningRate = 0.02, Seed = 1L)) |> ignore
    // Training moved every posterior tensor (mu, rho and the factor U or Cholesky factor L) away from its initial value.
    let posteriorKeys = initial |> Map.filter (fun k _ -> k.StartsWith "body.") |> Map.keys |> Array.ofSeq
    Assert.Equal(3 * 2, posteriorKeys.Length)
    for key in posteriorKeys do Assert.True(changed initial[key] (model.state_dict()[key]), $"{key} did not train")
    let loaded = roundTrip model
    assertSameState model loaded
    let loadedLayers = loaded.VariationalLayers |> Seq.cast<MultivariateBayesLinear> |> Array.ofSeq
    Assert.Equal<MultivariateBayesOptions[]>(layers () |> Array.map _.Options, loadedLayers |> Array.map _.Options)
    Assert.Equal(rank, loadedLayers[0].Options.Rank)
    Assert.Equal(PriorSpec.Laplace(0.0, 0.5), loadedLayers[1].Options.EffectivePrior)
    // The Laplace prior's KL is a Monte Carlo estimate: equal under the same seed.
    let kl (m: BayesianNetwork) = NativeEngine.Seed 5L; scalar (m.KL())
    Assert.Equal(kl model, kl loaded)
    NativeEngine.Seed 6L
    use x = torch.randn(5L, 2L, dtype = torch.ScalarType.Float64)
    assertSamePredictions model loaded x

[<Fact>]
let ``a concrete-dropout model declared in the DSL keeps its learned dropout rates, parameters and seeded predictions`` () =
    engine ()
    use data = regressionData ()
    let declared = bayes { network (linear 2L 16L >> Activation.relu >> linear 16L 1L); likelihood (gaussianWith 0.1);
                           prior (Normal(0., 2.)); variational concreteDropout }
    let built = Model.buildOn cpu64 declared |> orFail
    use _ = built.Core
    let model = built.Core.Network
    built.Core.Fit(data, VariationalFitOptions(Epochs = 5, BatchSize = 16, LearningRate = 0.05, Seed = 1L)) |> ignore
    let rates (m: BayesianNetwork) = m.VariationalLayers
                                     |> Seq.map (fun l -> (l :?> VariationalConcreteDropout).DropoutProbability) |> Array.ofSeq
    // Learned: no rate is still at its initial 0.1.
    Assert.All(rates model, fun p -> Assert.NotEqual(0.1, p))
    let loaded = roundTrip model
    Assert.Equal<float[]>(rates model, rates loaded)
    let settings (m: BayesianNetwork) =
        m.VariationalLayers
        |> Seq.map (fun l -> let c = l :?> VariationalConcreteDropout in c.LengthScale, c.Dropout.Options) |> Array.ofSeq
    Assert.Equal<(float * ConcreteDropoutOptions)[]>(settings model, settings loaded)
    Assert.Equal(0.5, fst (settings loaded).[0]) // l = 1 / s0 for the prior N(0, 2^2)
    assertSameState model loaded
    Assert.Equal(scalar (model.KL()), scalar (loaded.KL()))
    use x = torch.rand(7L, 2L, dtype = torch.ScalarType.Float64)
    assertSamePredictions model loaded x

[<Fact>]
let ``the MC-dropout family's inserted layers keep their names, rates and masks`` () =
    engine ()
    let built =
        ModelBuilder.Sequential().Linear(3L, 8L).Relu().Linear(8L, 2L).WithVariational(VariationalFamily.Dropout 0.3)
            .WithLikelihood(Likelihoods.Categorical()).Build(cpu64)
    use _ = built
    let model = built.Network
    let loaded = roundTrip model
    let layout (m: BayesianNetwork) = m.Body.named_children() |> Seq.map (fun struct (name, m) -> name, m.GetType().Name) |> Array.ofSeq
    Assert.Equal<(string * string)[]>(layout model, layout loaded)
    Assert.Contains(("mc_dropout_1", "MCDropout"), layout loaded)
    Assert.All(loaded.Body.children() |> Seq.filter (fun c -> c :? MCDropout), fun c -> Assert.Equal(0.3, (c :?> MCDropout).P))
    assertSameState model loaded
    use x = torch.randn(4L, 3L, dtype = torch.ScalarType.Float64)
    assertSamePredictions model loaded x

/// Every layer kind the builders (and so the DSL) declare, under each variational family that accepts it.
let private declaredUnder (family: string) =
    let bayesian = family = "meanField" || family = "lowRank" || family = "fullRank"
    let trunk =
        ModelBuilder.Sequential(1L, 4L, 4L).Conv2d(1L, 2L, 3L, padding = 1L).Activation(Activation.Elu)
        |> fun b -> if family = "meanField" then b.BayesConv2d(2L, 2L, 3L, padding = 1L,
                                                               estimator = GradientEstimator.Reparameterization) else b
        |> fun b -> b.Flatten().Dropout(0.2).Linear(32L, 8L).Activation(Activation.Gelu).MCDropout(0.1)
    let tail =
        if bayesian then trunk.BayesLinear(8L, 5L).Activation(Activation.Softplus).BayesLinear(5L, 3L, prior = PriorSpec.Laplace(0.0, 0.5))
        else trunk.Linear(8L, 5L).Activation(Activation.Softplus).Linear(5L, 3L)
    let familyOf =
        match family with
        | "meanField" -> VariationalFamily.MeanField
        | "lowRank" -> VariationalFamily.LowRank 2
        | "fullRank" -> VariationalFamily.FullRank
        | "dropout" -> VariationalFamily.Dropout 0.25
        | _ -> VariationalFamily.ConcreteDropout
    tail.Sigmoid().Linear(3L, 3L).Tanh().Relu().Activation(Activation.Softmax).WithVariational(familyOf)
        .WithLikelihood(Likelihoods.GaussianLearned 0.3)

[<Theory>]
[<InlineData "meanField">]
[<InlineData "lowRank">]
[<InlineData "fullRank">]
[<InlineData "dropout">]
[<InlineData "concreteDropout">]
let ``every layer kind the builders declare saves and loads under each variational family`` (family: string) =
    engine ()
    NativeEngine.Seed 21L
    use built = (declaredUnder family).Build(cpu64)
    let model = built.Network
    using (torch.no_grad ()) (fun _ -> for p in model.parameters() do p.add_(0.3 * torch.randn_like p) |> ignore)
    let loaded = roundTrip model
    let layout (m: BayesianNetwork) = m.Body.named_children() |> Seq.map (fun struct (name, c) -> name, c.GetType().Name) |> Array.ofSeq
    Assert.Equal<(string * string)[]>(layout model, layout loaded)
    assertSameState model loaded
    NativeEngine.Seed 22L
    use x = torch.rand(3L, 1L, 4L, 4L, dtype = torch.ScalarType.Float64)
    assertSamePredictions model loaded x

/// Every newly saved module with non-default settings; parameters perturbed away from their initial values.
let private everyLayer () =
    NativeEngine.Seed 11L
    let concrete = ConcreteDropoutOptions(WeightRegularizer = 1e-3, DropoutRegularizer = 1e-2, Temperature = 0.3, InitialP = 0.25)
    let lowRank = MultivariateBayesOptions(Rank = 2, Prior = PriorSpec.ScaleMixture(0.3, 1.5, 0.1), InitialRho = -3.0,
                                           InitialFactorStd = 0.01, KLSamples = 5)
    let noDropoutAtTest = BayesNN.MCDropout(0.3)
    noDropoutAtTest.MonteCarlo <- false
    let model =
        BayesianNetwork.Create(Likelihood.Categorical(),
            BayesNN.ConcreteDropout(torch.nn.Conv2d(1L, 2L, 3L, padding = 1L), concrete), BayesNN.MCSpatialDropout(0.15), torch.nn.ELU(0.5),
            torch.nn.Flatten(), BayesNN.VariationalConcreteDropout(torch.nn.Linear(32L, 6L), lengthScale = 0.5, initialP = 0.2),
            torch.nn.GELU(Modules.GELU.Approximate.tanh), noDropoutAtTest, torch.nn.Dropout(0.2),
            BayesNN.MultivariateBayesLinear(6L, 4L, lowRank), torch.nn.Softplus(2.0, 10.0),
            BayesNN.MultivariateBayesLinear(4L, 3L, MultivariateBayesOptions(Prior = PriorSpec.Normal(0.1, 0.8))))
    cpu64.Apply model |> ignore
    using (torch.no_grad ()) (fun _ -> for p in model.parameters() do p.add_(0.3 * torch.randn_like p) |> ignore)
    model

[<Fact>]
let ``every layer's settings survive: rank, priors, temperature, regularizers, length-scale, rates, Monte Carlo switch`` () =
    engine ()
    let model = everyLayer ()
    let loaded = roundTrip model
    let at (m: BayesianNetwork) i : 'T = m.Body.children() |> Seq.item i :?> 'T
    for m in [ model; loaded ] do
        Assert.Equal(ConcreteDropoutOptions(1e-3, 1e-2, 0.3, 0.25), (at m 0 : ConcreteDropout).Options)
        Assert.Equal(0.15, (at m 1 : MCSpatialDropout).P)
        Assert.Equal(0.5, (at m 2 : Modules.ELU).alpha)
        Assert.Equal(0.5, (at m 4 : VariationalConcreteDropout).LengthScale)
        Assert.Equal(0.2, (at m 4 : VariationalConcreteDropout).Dropout.Options.InitialP)
        Assert.Equal(Modules.GELU.Approximate.tanh, (at m 5 : Modules.GELU).approximate)
        Assert.False((at m 6 : MCDropout).MonteCarlo)
        Assert.Equal(0.2, (at m 7 : Modules.Dropout).p)
        Assert.Equal(MultivariateBayesOptions(2, PriorSpec.ScaleMixture(0.3, 1.5, 0.1), -3.0, 0.01, 5),
                     (at m 8 : MultivariateBayesLinear).Options)
        Assert.Equal((2.0, 10.0), ((at m 9 : Modules.Softplus).beta, (at m 9 : Modules.Softplus).threshold))
        Assert.Equal(MultivariateBayesOptions(0, PriorSpec.Normal(0.1, 0.8)), (at m 10 : MultivariateBayesLinear).Options)
    // The perturbed learned rate (not the initial 0.25) is what was saved.
    Assert.NotEqual(0.25, (at loaded 0 : ConcreteDropout).DropoutProbability)
    Assert.Equal((at model 0 : ConcreteDropout).DropoutProbability, (at loaded 0 : ConcreteDropout).DropoutProbability)
    assertSameState model loaded
    NativeEngine.Seed 12L
    use x = torch.rand(3L, 1L, 4L, 4L, dtype = torch.ScalarType.Float64)
    assertSamePredictions model loaded x

[<Fact>]
let ``a file written by format version 1 still loads with its layers, options and parameters`` () =
    engine ()
    // Written by ModelFile version 1 from this model with every state tensor filled by fill below (keys in ordinal order k,
    // element i: 0.1 sin(1.7 (i + 1) + k), in float32).
    let flip = BayesLayerOptions(Estimator = GradientEstimator.Flipout, Prior = PriorSpec.Laplace(0.0, 0.5), InitialRho = -4.0)
    let det = BayesLayerOptions(Estimator = GradientEstimator.Reparameterization, BayesianBias = false)
    let expected =
        BayesianNetwork.Create(Likelihood.Gaussian(GaussianNoise.Homoscedastic, 0.5),
            BayesNN.BayesLinear(2L, 3L, flip), torch.nn.Tanh(), torch.nn.Linear(3L, 2L), torch.nn.ReLU(), BayesNN.BayesLinear(2L, 1L, det))
    using (torch.no_grad ()) (fun _ ->
        let state = expected.state_dict()
        state.Keys |> Seq.sortWith (fun a b -> System.String.CompareOrdinal(a, b)) |> Seq.iteri (fun k key ->
            let t = state[key]
            let v = ((torch.arange(t.numel(), dtype = torch.ScalarType.Float64) + 1.0) * 1.7 + float k).sin() * 0.1
            t.copy_(v.to_type(t.dtype).reshape(t.shape)) |> ignore))
    let loaded = ModelFile.Load(Path.Combine(repoRoot, "BayesDL.Tests", "Models", "Fixtures", "model-v1.bnn"), ComputePolicy.Cpu)
    assertSameState expected loaded
    let layers = loaded.VariationalLayers |> Seq.cast<BayesLinear> |> Array.ofSeq
    Assert.Equal<BayesLayerOptions[]>([| flip; det |], layers |> Array.map _.Options)
    Assert.Equal((expected.Likelihood :?> GaussianLikelihood).NoiseSigma, (loaded.Likelihood :?> GaussianLikelihood).NoiseSigma)
    Assert.Equal<string[]>([| "BayesLinear"; "Tanh"; "Linear"; "ReLU"; "BayesLinear" |],
                           loaded.Body.children() |> Seq.map (fun c -> c.GetType().Name) |> Array.ofSeq)

[<Fact>]
let ``an unsupported layer is refused with its name, type and the supported list, and nothing is written`` () =
    engine ()
    use dir = new TempDir()
    let refuse (model: BayesianNetwork) =
        let e = Assert.Throws<System.ArgumentException>(fun () -> ModelFile.Save(model, dir.File "m.bnn"))
        Assert.Empty(Directory.GetFiles dir.Path) // refused before the temporary file is opened
        e.Message
    let leaky = refuse (BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(3L, 4L),
                                               torch.nn.LeakyReLU(), BayesNN.BayesLinear(4L, 2L)))
    for part in [ "layer '1' of type LeakyReLU"; "MultivariateBayesLinear"; "VariationalConcreteDropout";
                  "MCDropout" ] do Assert.Contains(part, leaky)
    // A concrete-dropout layer saves only around a weight layer the file describes (Linear or square Conv2d).
    let conv1d = refuse (BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.ConcreteDropout(torch.nn.Conv1d(2L, 3L, 3L))))
    Assert.Contains("layer '0' of type Conv1d", conv1d)

[<Fact>]
let ``a file of an unknown format version is refused naming the version`` () =
    engine ()
    use dir = new TempDir()
    let path = dir.File "future.bnn"
    do
        use writer = new BinaryWriter(File.Create path, Encoding.UTF8)
        writer.Write "BAYESDL-BNN"
        writer.Write """{"Version":7,"Layers":[],"Likelihood":{"Kind":"CategoricalLikelihood"}}"""
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () -> ModelFile.Load path |> ignore)
    // Version 6 (SWAG and SG-MCMC posteriors) is the newest this BayesDL reads.
    for part in [ "format version 7"; "format version 6 or older"; "newer BayesDL" ] do Assert.Contains(part, e.Message)
