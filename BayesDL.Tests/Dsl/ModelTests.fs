/// The F# DSL declares the same models as the C# fluent API (same objects, identical outputs) and
/// returns declaration mistakes as BayesError values naming the layer and shapes.
module BayesDL.Tests.Dsl.ModelTests

open System
open Xunit
open BayesDL.Builders
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Networks
open BayesDL.Tests.TestSupport
open TorchSharp

let private expectError (r: Result<'a, BayesError>) =
    match r with
    | Ok _ -> failwith "expected a BayesError, the declaration was accepted"
    | Error e -> e

[<Fact>]
let ``a shape mismatch in a model block is a ShapeMismatch naming the layer and both shapes`` () =
    let declared = model {
        network (linear 784L 400L >> Activation.relu >> linear 300L 10L)
        likelihood categorical
    }
    match Model.validate declared |> expectError with
    | ShapeMismatch(layer, message) ->
        Assert.Equal("Linear(300 -> 10)", layer)
        Assert.Contains("[300]", message)
        Assert.Contains("[400]", message)
    | other -> failwithf "expected ShapeMismatch, got %A" other

[<Fact>]
let ``a likelihood that does not fit the output layer is a LikelihoodMismatch`` () =
    let declared = bayes {
        layers [ linear 2L 16L; Activation.relu; linear 16L 1L ]
        likelihood categorical
    }
    match Model.validate declared |> expectError with
    | LikelihoodMismatch(layer, message) ->
        Assert.Equal("Linear(16 -> 1)", layer)
        Assert.Contains("[1]", message)
    | other -> failwithf "expected LikelihoodMismatch, got %A" other

[<Fact>]
let ``several mistakes come back together and a missing network is Incomplete`` () =
    match model { layers [ linear 0L 4L; Dropout.standard 2.0 ]; likelihood categorical } |> Model.validate |> expectError with
    | Several [ InvalidParameter _; InvalidParameter _ ] -> ()
    | other -> failwithf "expected two InvalidParameter, got %A" other
    match model { likelihood gaussian } |> Model.validate |> expectError with
    | Incomplete message -> Assert.Contains("network", message)
    | other -> failwithf "expected Incomplete, got %A" other

[<Fact>]
let ``the list form and the >> form declare the same layers as the C# builder`` () =
    let composed = model { network (linear 3L 4L >> Activation.relu >> linear 4L 2L) } |> Model.toBuilder
    let listed = model { layers [ linear 3L 4L; Activation.relu; linear 4L 2L ] } |> Model.toBuilder
    let fluent = ModelBuilder.Sequential().Linear(3L, 4L).Relu().Linear(4L, 2L)
    Assert.Equal<LayerSpec>(fluent.Layers, composed.Layers)
    Assert.Equal<LayerSpec>(fluent.Layers, listed.Layers)

[<Fact>]
let ``F# and C# declarations of the same model give identical outputs with the same seed`` () =
    engine ()
    let policy = cpu64
    NativeEngine.Seed 11L
    use x = torch.randn(8L, 5L, dtype = torch.ScalarType.Float64)
    // MC dropout: both the initial weights and every pass's masks come from the seeded generator.
    NativeEngine.Seed 2026L
    use fromCSharp =
        ModelBuilder.Sequential().Linear(5L, 16L).Relu().Linear(16L, 16L).Tanh().Linear(16L, 3L)
            .WithVariational(VariationalFamily.Dropout 0.2).WithLikelihood(Likelihoods.Categorical()).Build(policy)
    let a = values (fromCSharp.Forward x)
    NativeEngine.Seed 2026L
    let fromFSharp =
        model {
            network (linear 5L 16L >> Activation.relu >> linear 16L 16L >> Activation.tanh >> linear 16L 3L)
            likelihood categorical
            variational (dropout 0.2)
        }
        |> Model.buildOn policy
        |> Result.defaultWith (fun e -> failwith e.Message)
    use _ = fromFSharp.Core
    Assert.Equal<int64 list>([ 3L ], fromFSharp.OutputShape)
    let b = values (fromFSharp.Forward x)
    Assert.Equal<float[]>(a, b)
    // A different seed gives different weights: the equality above is not vacuous.
    NativeEngine.Seed 7L
    use other = (Model.toBuilder fromFSharp.Declaration).Build(policy)
    Assert.NotEqual<float[]>(a, values (other.Forward x))

[<Fact>]
let ``inference settings blocks produce records with the declared values`` () =
    let s = vi { elbo analyticKL; samples 2; klWarmup 5; epochs 10 }
    Assert.Equal({ ViSettings.Default with Samples = 2; KLWarmupEpochs = 5; Epochs = 10 }, s)
    Assert.Equal(MonteCarloKL, (vi { elbo monteCarloKL }).KL)
    let options = (vi { elbo analyticKL; samples 3; klWarmup 2; epochs 4; batchSize 32; learningRate 0.01; seed 9L }).ToOptions()
    Assert.Equal(VariationalFitOptions(4, 32, 0.01, 9L, 3, 2, true), options)
    Assert.Equal(100, (mcDropout { samples 100 }).Samples)

[<Fact>]
let ``a vae block with a decoder not reading the latent code is a ShapeMismatch`` () =
    let declared = vae {
        encoder (linear 16L 8L >> Activation.relu)
        decoder (linear 5L 8L >> Activation.relu >> linear 8L 16L)
        latent 3
    }
    match VaeDsl.Vae.validate declared |> expectError with
    | ShapeMismatch(layer, message) ->
        Assert.Equal("Linear(5 -> 8)", layer)
        Assert.Contains("the latent code z is [3]", message)
    | other -> failwithf "expected ShapeMismatch, got %A" other

[<Fact>]
let ``a vae block without a latent dimension is Incomplete and names the operation that declares it`` () =
    // The core has no default latent dimension, so the DSL must not invent one.
    match vae { encoder (linear 4L 3L >> Activation.relu); decoder (linear 2L 4L) } |> VaeDsl.Vae.validate |> expectError with
    | Incomplete message -> Assert.Contains("`latent 20`", message)
    | other -> failwithf "expected Incomplete, got %A" other

[<Fact>]
let ``asking for an analytic KL with a scale-mixture latent prior is UnregisteredKL before training`` () =
    engine ()
    let declared = vae {
        encoder (linear 4L 6L >> Activation.relu)
        decoder (linear 2L 6L >> Activation.relu >> linear 6L 4L)
        latent 2
        prior (scaleMixture 0.5 1.0 0.1)
    }
    let built = VaeDsl.Vae.buildOn cpu64 declared |> Result.defaultWith (fun e -> failwith e.Message)
    use data = torch.rand(8L, 4L, dtype = torch.ScalarType.Float64)
    match VaeDsl.Vae.fit (vi { elbo analyticKL; epochs 1 }) data built |> expectError with
    | UnregisteredKL(_, message) -> Assert.Contains("ScaleMixtureNormal", message)
    | other -> failwithf "expected UnregisteredKL, got %A" other
    // With a Monte Carlo KL the same model trains.
    match VaeDsl.Vae.fit (vi { elbo monteCarloKL; epochs 1; batchSize 4 }) data built with
    | Ok fit -> Assert.Equal(1, fit.EpochLosses.Length)
    | Error e -> failwith e.Message

[<Fact>]
let ``the F# vae block and the C# VaeBuilder build identical VAEs with the same seed`` () =
    engine ()
    NativeEngine.Seed 5L
    use x = torch.rand(6L, 10L, dtype = torch.ScalarType.Float64)
    NativeEngine.Seed 99L
    use fromCSharp =
        ModelBuilder.Vae(ModelBuilder.Sequential().Linear(10L, 7L).Relu(),
                         ModelBuilder.Sequential().Linear(2L, 7L).Relu().Linear(7L, 10L), 2L).Build(cpu64)
    NativeEngine.Seed 99L
    use fromFSharp =
        vae {
            encoder (linear 10L 7L >> Activation.relu)
            decoder (linear 2L 7L >> Activation.relu >> linear 7L 10L)
            latent 2
        }
        |> VaeDsl.Vae.buildOn cpu64
        |> Result.defaultWith (fun e -> failwith e.Message)
    fromCSharp.eval ()
    fromFSharp.eval ()
    Assert.Equal<float[]>(values (fromCSharp.Reconstruct x), values (fromFSharp.Reconstruct x))

[<Fact>]
let ``Bayesian models declared in F# and C# draw identical outputs with the same seed`` () =
    engine ()
    NativeEngine.Seed 3L
    use x = torch.randn(4L, 6L, dtype = torch.ScalarType.Float64)
    NativeEngine.Seed 41L
    use fromCSharp =
        ModelBuilder.Sequential().BayesLinear(6L, 12L, prior = Priors.Normal(0.0, 1.0)).Relu().BayesLinear(12L, 2L)
            .WithLikelihood(Likelihoods.Categorical()).Build(cpu64)
    let a = values (fromCSharp.Forward x) // a stochastic pass: weight noise drawn from the engine's generator
    NativeEngine.Seed 41L
    let fromFSharp =
        bayes {
            network (bayesLinear 6L 12L >> Activation.relu >> bayesLinear 12L 2L)
            prior (Normal(0., 1.))
            likelihood categorical
            variational meanField
        }
        |> Model.buildOn cpu64
        |> Result.defaultWith (fun e -> failwith e.Message)
    use _ = fromFSharp.Core
    Assert.Equal<float[]>(a, values (fromFSharp.Forward x))

[<Fact>]
let ``an analytic ELBO with a scale-mixture weight prior is UnregisteredKL naming the layer, before training`` () =
    engine ()
    use data = new BayesDL.Data.LabeledData(torch.zeros(4L, 2L, dtype = torch.ScalarType.Float64),
                                            torch.zeros(4L, dtype = torch.ScalarType.Int64))
    let declared = bayes { network (bayesLinear 2L 3L >> Activation.relu >> bayesLinear 3L 2L); likelihood categorical;
                           prior (scaleMixture 0.5 1.0 0.0025) }
    Assert.Equal(Ok(), Model.validate declared) // the declaration itself is fine
    match declared |> Model.fitVariational (vi { elbo analyticKL; epochs 1 }) cpu64 data |> expectError with
    | Several(UnregisteredKL(layer, message) :: _) | UnregisteredKL(layer, message) ->
        Assert.Equal("layer 0 'BayesLinear(2 -> 3)'", layer)
        Assert.Contains("ScaleMixtureNormal", message)
        Assert.Contains("Registered pairs", message)
    | other -> failwithf "expected UnregisteredKL, got %A" other
    // Accepting a Monte Carlo KL, the same declaration trains.
    match declared |> Model.fitVariational (vi { elbo monteCarloKL; epochs 1; batchSize 4 }) cpu64 data with
    | Ok fitted -> (use _ = fitted.Model.Core in Assert.Equal(1, fitted.Epochs.Length))
    | Error e -> failwith e.Message

[<Fact>]
let ``fitVariational trains a declared Bayesian regression and reports one finite ELBO per epoch`` () =
    engine ()
    NativeEngine.Seed 1L
    let x = torch.linspace(-1.0, 1.0, 64L, dtype = torch.ScalarType.Float64).unsqueeze 1L
    let y = 2.0 * x + 0.1 * torch.randn_like x
    use data = new BayesDL.Data.LabeledData(x, y)
    let fitted =
        bayes {
            network (bayesLinear 1L 16L >> Activation.relu >> bayesLinear 16L 1L)
            likelihood (gaussianWith 0.1)
        }
        |> Model.fitVariational (vi { elbo analyticKL; epochs 3; batchSize 16; learningRate 0.01 }) cpu64 data
        |> Result.defaultWith (fun e -> failwith e.Message)
    use _ = fitted.Model.Core
    Assert.Equal<int list>([ 1; 2; 3 ], fitted.Epochs |> List.map (fun e -> e.Epoch))
    Assert.All(fitted.Epochs, fun e -> Assert.True(Double.IsFinite e.Elbo && e.KL > 0.0, sprintf "%A" e))
    use p = fitted.Model.Predict(x, 8)
    Assert.Equal(8L, p.SampleCount)

[<Fact>]
let ``mcDropout settings refuse a model that is not declared with the dropout family`` () =
    engine ()
    use data = new BayesDL.Data.LabeledData(torch.zeros(4L, 2L, dtype = torch.ScalarType.Float64),
                                            torch.zeros(4L, dtype = torch.ScalarType.Int64))
    match model { network (linear 2L 2L);
                  likelihood categorical } |> Model.fitMCDropout (mcDropout { samples 10 }) cpu64 data |> expectError with
    | UnsupportedFamily(_, message) -> Assert.Contains("dropout p", message)
    | other -> failwithf "expected UnsupportedFamily, got %A" other

[<Fact>]
let ``mcDropout settings map to the core's MC dropout options, and the DSL fit is the C# fit`` () =
    // Unset options keep the core's defaults: plain dropout loss, no prior, K = 10 (used only with alpha).
    Assert.Equal(MCDropoutFitOptions(), MCDropoutSettings.Default.ToOptions())
    let recipe = mcDropout { lengthScale 1.5; alpha 0.5; trainingMasks 10; epochs 2; batchSize 16; learningRate 0.01; seed 4L; samples 20 }
    Assert.Equal({ MCDropoutSettings.Default with
                     LengthScale = Some 1.5; Alpha = Some 0.5; TrainingMasks = Some 10
                     Epochs = 2; BatchSize = 16; LearningRate = 0.01; Seed = 4L; Samples = 20 }, recipe)
    let options = recipe.ToOptions()
    Assert.Equal(MCDropoutFitOptions(2, 16, 0.01, 4L, Nullable 1.5, Nullable 0.5, 10), options)
    Assert.Equal(3, (mcDropout { alpha 0.5; trainingMasks 3 }).ToOptions().TrainingMasks)
    engine ()
    let x = torch.rand(40L, 3L, dtype = torch.ScalarType.Float64)
    use data = new BayesDL.Data.LabeledData(x, torch.randint(2L, [| 40L |]))
    let declared = model { network (linear 3L 8L >> Activation.relu >> linear 8L 2L); likelihood categorical; variational (dropout 0.25) }
    // The same initial weights on both sides: seed the engine before each build.
    NativeEngine.Seed 11L
    let fromFSharp = declared |> Model.fitMCDropout recipe cpu64 data |> Result.defaultWith (fun e -> failwith e.Message)
    use _ = fromFSharp.Model.Core
    NativeEngine.Seed 11L
    let fromCSharp =
        ModelBuilder.Sequential().Linear(3L, 8L).Relu().Linear(8L, 2L)
            .WithLikelihood(Likelihoods.Categorical()).WithVariational(VariationalFamily.Dropout(0.25))
            .FitMCDropout(data, options, cpu64)
    use _ = fromCSharp.Model
    let weights (m: BuiltModel) = m.Network.parameters() |> Seq.map values |> Array.ofSeq
    Assert.Equal<float[][]>(weights fromCSharp.Model, weights fromFSharp.Model.Core)
    Assert.Equal<float list>(fromCSharp.Epochs |> Seq.map (fun e -> e.MeanLoss) |> List.ofSeq,
                             fromFSharp.Epochs |> List.map (fun e -> e.MeanLoss))
    // Replicated from F#: the same weights as the core's replicated fit of the same replicas.
    let regression (sigma: float) (p: float) =
        model { network (linear 3L 8L >> Activation.relu >> linear 8L 1L); likelihood (gaussianWith sigma); variational (dropout p) }
    use y = torch.randn(40L, 1L, dtype = torch.ScalarType.Float64)
    use targets = new BayesDL.Data.LabeledData(x, y)
    let short = { recipe with Alpha = None; Epochs = 2 }
    let replicated =
        Model.fitMCDropoutReplicas short cpu64 [ regression 1.0 0.1, targets; regression 0.5 0.3, targets ]
        |> Result.defaultWith (fun e -> failwith e.Message)
    let core =
        SequentialBuilder.FitMCDropoutReplicas(
            [| for sigma, p in [ 1.0, 0.1; 0.5, 0.3 ] ->
                 MCDropoutReplica(ModelBuilder.Sequential().Linear(3L, 8L).Relu().Linear(8L, 1L).WithLikelihood(Likelihoods.Gaussian(sigma))
                                     .WithVariational(VariationalFamily.Dropout(p)), targets) |],
            short.ToOptions(), cpu64)
    Assert.Equal(2, replicated.Length)
    for f, c in List.zip replicated (List.ofSeq core.Models) do
        Assert.Equal<float[][]>(weights c, weights f.Model.Core)
        f.Model.Core.Dispose()
        c.Dispose()
    // A learned noise does not replicate: an Error naming the replica, not an exception.
    let learned = model { network (linear 3L 8L >> Activation.relu >> linear 8L 1L); likelihood gaussian; variational (dropout 0.1) }
    match Model.fitMCDropoutReplicas short cpu64 [ regression 1.0 0.1, targets; learned, targets ] with
    | Error e -> Assert.Contains("replicas[1].Model", e.Message)
    | Ok _ -> failwith "a learned-noise replica was accepted"
    // The prior is wired in: its KL (N times the weight-decay term) is reported.
    Assert.True(fromFSharp.Epochs |> List.forall (fun e -> e.KL > 0.0), sprintf "%A" fromFSharp.Epochs)
    match model { network (linear 3L 2L); likelihood categorical; variational (dropout 0.25) }
          |> Model.fitMCDropout (mcDropout { alpha -1.0 }) cpu64 data |> expectError with
    | InvalidParameter(_, message) -> Assert.Contains("parameter 'Alpha'", message)
    | other -> failwithf "expected InvalidParameter, got %A" other

[<Fact>]
let ``tuneMCDropout makes the core grid search's choice and refit, and returns mistakes as an Error`` () =
    engine ()
    let x = torch.rand(40L, 3L, dtype = torch.ScalarType.Float64)
    use data = new BayesDL.Data.LabeledData(x, x.sum(1L, keepdim = true) + 0.3 * torch.randn(40L, 1L, dtype = torch.ScalarType.Float64))
    let settings = mcDropout { lengthScale 0.01; epochs 3; batchSize 8; seed 6L; samples 9 }
    let noise = [ 0.2; 0.4; 0.8 ]
    let declared = model { network (linear 3L 8L >> Activation.relu >> linear 8L 1L); likelihood gaussian }
    let tuned, chosen =
        declared |> Model.tuneMCDropout settings cpu64 [ 0.05; 0.2 ] noise data |> Result.defaultWith (fun e -> failwith e.Message)
    use _ = tuned.Model.Core
    use search =
        ModelBuilder.Sequential().Linear(3L, 8L).Relu().Linear(8L, 1L)
            .SearchMCDropout([| data |], MCDropoutGridSearchOptions(settings.ToOptions(), [| 0.05; 0.2 |], Samples = 9), cpu64)
    let core = search.Choose(Array.ofList noise)[0]
    Assert.Equal(core, chosen)
    let refit = search.Refit [| core |]
    use coreModel = refit.Models[0]
    let weights (m: BuiltModel) = m.Network.parameters() |> Seq.map values |> Array.ofSeq
    Assert.Equal<float[][]>(weights coreModel, weights tuned.Model.Core)
    Assert.Equal(Some(Likelihoods.Gaussian chosen.NoiseSd), tuned.Model.Declaration.Likelihood)
    match declared |> Model.tuneMCDropout settings cpu64 [ 1.5 ] noise data with
    | Error e -> Assert.Contains("'DropoutRates[0]'", e.Message)
    | Ok _ -> failwith "a dropout rate of 1.5 was accepted"

[<Fact>]
let ``mcDropout settings train Dropout.mc networks without Bayesian layers and refuse them beside Bayesian layers`` () =
    engine ()
    use data = new BayesDL.Data.LabeledData(torch.rand(16L, 3L, dtype = torch.ScalarType.Float64), torch.randint(2L, [| 16L |]))
    let settings = mcDropout { lengthScale 1.0; alpha 0.5; trainingMasks 2; epochs 1; batchSize 8 }
    let fitted =
        model { network (linear 3L 8L >> Activation.relu >> Dropout.mc 0.5 >> linear 8L 2L); likelihood categorical }
        |> Model.fitMCDropout settings cpu64 data
        |> Result.defaultWith (fun e -> failwith e.Message)
    use _ = fitted.Model.Core
    Assert.True(fitted.Epochs.Head.KL > 0.0, sprintf "%A" fitted.Epochs)
    match model { network (bayesLinear 3L 8L >> Activation.relu >> Dropout.mc 0.5 >> linear 8L 2L); likelihood categorical }
          |> Model.fitMCDropout settings cpu64 data |> expectError with
    | UnsupportedFamily(_, message) -> Assert.Contains("MeanField with Bayesian layers", message)
    | other -> failwithf "expected UnsupportedFamily, got %A" other

[<Fact>]
let ``activations are qualified: Activation.tanh is a layer, and tanh stays F#'s function`` () =
    let declared = (linear 2L 3L >> Activation.tanh >> linear 3L 1L >> Activation.softplus) (ModelBuilder.Sequential())
    Assert.Equal<string list>([ "Linear(2 -> 3)"; "Tanh"; "Linear(3 -> 1)"; "Softplus" ], [ for l in declared.Layers -> l.Name ])
    Assert.Equal(Math.Tanh 0.5, tanh 0.5)

[<Fact>]
let ``the DSL's settings and declarations default to the core's`` () =
    Assert.Equal(VariationalFitOptions(), ViSettings.Default.ToOptions())
    Assert.Equal(MCDropoutFitOptions(), MCDropoutSettings.Default.ToOptions())
    Assert.Equal(EnsembleFitOptions(), EnsembleSettings.Default.ToOptions())
    Assert.Equal(BayesDL.Mcmc.HmcOptions(), McmcSettings.Default.ToOptions())
    Assert.Equal(SemiSupervisedVaeBuilder.DefaultAlpha, M2Decl.Empty.Alpha)
    let core = ModelBuilder.Sequential()
    let declared = model { network (bayesLinear 2L 2L); likelihood categorical } |> Model.toBuilder
    Assert.Equal(core.Prior, declared.Prior)
    Assert.Equal(core.Family, declared.Family)
