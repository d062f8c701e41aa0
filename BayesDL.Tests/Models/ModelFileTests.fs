module BayesDL.Tests.Models.ModelFileTests

open System
open System.IO
open Xunit
open TorchSharp
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Training
open BayesDL.Tests.TestSupport

[<Fact>]
let ``a trained model round-trips with posterior, prior, estimator and learned noise, predicting identically`` () =
    engineOneThread ()
    NativeEngine.Seed 2L
    let flip = BayesLayerOptions(Estimator = GradientEstimator.Flipout, Prior = PriorSpec.Laplace(0.0, 0.5), InitialRho = -4.0)
    let det = BayesLayerOptions(Estimator = GradientEstimator.Reparameterization, BayesianBias = false)
    let model =
        BayesianNetwork.Create(Likelihood.Gaussian(GaussianNoise.Homoscedastic, 0.5),
            BayesNN.BayesLinear(2L, 8L, flip), torch.nn.Tanh(), torch.nn.Linear(8L, 8L), torch.nn.ReLU(), BayesNN.BayesLinear(8L, 1L, det))
    let x = torch.randn(64L, 2L)
    use data = new LabeledData(x, x.sum(1L, keepdim = true).cos())
    Trainer(TrainerOptions(Epochs = 3, BatchSize = 16, LearningRate = 0.01)).Fit(model, data) |> ignore
    use dir = new TempDir()
    let path = dir.File "model.bnn"
    ModelFile.Save(model, path)
    Assert.Equal<string[]>([| "model.bnn" |], Directory.GetFiles dir.Path |> Array.map Path.GetFileName) // no temp file left
    let loaded = ModelFile.Load(path, ComputePolicy.Cpu)
    let layers = loaded.VariationalLayers |> Seq.cast<BayesLinear> |> Array.ofSeq
    Assert.Equal(flip, layers[0].Options)
    Assert.Equal(det, layers[1].Options)
    Assert.Equal(PriorSpec.Laplace(0.0, 0.5), layers[0].Options.EffectivePrior)
    Assert.Equal((model.Likelihood :?> GaussianLikelihood).NoiseSigma, (loaded.Likelihood :?> GaussianLikelihood).NoiseSigma)
    Assert.Equal(scalar (model.KL()), scalar (loaded.KL()))
    let predict (m: BayesianNetwork) =
        NativeEngine.Seed 77L
        use p = m.Predict(x, 10)
        values p.Samples, values (p.TotalVariance())
    Assert.Equal<float[] * float[]>(predict model, predict loaded)
    // Saving over an existing file replaces it.
    ModelFile.Save(loaded, path)
    Assert.Equal<float[] * float[]>(predict model, predict (ModelFile.Load(path, ComputePolicy.Cpu)))

[<Fact>]
let ``a file that is not a model is refused`` () =
    engine ()
    use dir = new TempDir()
    File.WriteAllText(dir.File "x.bnn", "hello")
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () -> ModelFile.Load(dir.File "x.bnn") |> ignore)
    Assert.Contains("not a BayesDL model file", e.Message)

[<Fact>]
let ``batched prediction gives T independent draws per input`` () =
    engineOneThread ()
    NativeEngine.Seed 1L
    let o = BayesLayerOptions(Estimator = GradientEstimator.Reparameterization, InitialRho = 0.0)
    let model = BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(3L, 4L, o))
    let x = torch.randn(5L, 3L)
    use p = model.Predict(x, 7)
    Assert.Equal<int64[]>([| 7L; 5L; 4L |], p.Samples.shape)
    // Chunked prediction (budget of one draw per pass) has the same shape and differs between draws.
    let small = BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(3L, 4L, o))
    small.PredictRowBudget <- 5L
    use q = small.Predict(x, 3)
    Assert.Equal<int64[]>([| 3L; 5L; 4L |], q.Samples.shape)
    Assert.NotEqual<float[]>(values q.Samples[0], values q.Samples[1])
    Assert.True(scalar (q.MutualInformation().mean()) > 0.0)
    Assert.Throws<ArgumentException>(fun () -> model.Predict(x, 0) |> ignore) |> ignore
