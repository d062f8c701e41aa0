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
open BayesDL.Predictive

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

// Corrupt, foreign and old model files: each is one FileFormatException naming the file (issue 12).

/// A small saved classifier, its path and bytes.
let private savedClassifier (dir: TempDir) =
    NativeEngine.Seed 4L
    let model = BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(3L, 5L), torch.nn.ReLU(), BayesNN.BayesLinear(5L, 2L))
    let path = dir.File "model.bnn"
    ModelFile.Save(model, path)
    model, path, File.ReadAllBytes path

/// The JSON description inside a version-3 file (after magic, preamble, length and checksum).
let private description (bytes: byte[]) =
    use reader = new BinaryReader(new MemoryStream(bytes))
    reader.ReadString() |> ignore
    reader.ReadString() |> ignore
    reader.ReadInt64() |> ignore
    reader.ReadBytes 32 |> ignore
    reader.ReadString()

/// A file in the layout of format versions 1 and 2 (no frame, no checksum): magic, JSON description, TorchSharp's state dict.
let private writeUnsealed (path: string) (json: string) (weights: torch.nn.Module) =
    use writer = new BinaryWriter(File.Create path)
    writer.Write "BAYESDL-BNN"
    writer.Write json
    weights.save writer |> ignore

/// Sets element i (flat) of a parameter or buffer to NaN.
let private setNaN (t: torch.Tensor) (i: int64) =
    use _ = torch.no_grad ()
    t.view(-1L).narrow(0L, i, 1L).fill_(nan) |> ignore

let private refused (path: string) =
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () -> ModelFile.Load(path, ComputePolicy.Cpu) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.StartsWith(path + ": expected ", e.Message)
    e

[<Fact>]
let ``a model file cut short anywhere, even by its last byte, is a FileFormatException naming the file`` () =
    engine ()
    use dir = new TempDir()
    let _, path, bytes = savedClassifier dir
    let cut = dir.File "cut.bnn"
    for length in [ 0; 5; 20; 40; 80; bytes.Length / 2; bytes.Length - 5; bytes.Length - 1 ] do
        File.WriteAllBytes(cut, bytes[.. length - 1])
        refused cut |> ignore
    File.WriteAllBytes(cut, bytes[.. bytes.Length - 2])
    Assert.Contains("truncated", (refused cut).Found)

[<Fact>]
let ``a model file with one byte overwritten in its weights is refused by its checksum, not loaded`` () =
    engine ()
    use dir = new TempDir()
    let _, path, bytes = savedClassifier dir
    let changed = Array.copy bytes
    changed[bytes.Length - 3] <- changed[bytes.Length - 3] ^^^ 0x10uy
    File.WriteAllBytes(path, changed)
    let e = refused path
    Assert.Contains("SHA-256", e.Expected)
    Assert.Contains("corrupt", e.Found)

[<Fact>]
let ``NaN weights in a model file are refused naming the file and the tensor`` () =
    engine ()
    use dir = new TempDir()
    let model, path, bytes = savedClassifier dir
    setNaN (model.state_dict()["body.2.weight_mu"]) 7L
    // Written by this version (checksummed, so only the value check can catch it) and in the unsealed layout of version 2.
    ModelFile.Save(model, path)
    let e = refused path
    Assert.Contains("'body.2.weight_mu'", e.Expected)
    Assert.Contains("NaN at flat index 7", e.Found)
    let old = dir.File "v2.bnn"
    writeUnsealed old ((description bytes).Replace("\"Version\":3", "\"Version\":2")) model
    Assert.Contains("'body.2.weight_mu'", (refused old).Expected)

[<Fact>]
let ``a description of one architecture with another's weights names the tensor and both shapes`` () =
    engine ()
    use dir = new TempDir()
    let _, _, bytes = savedClassifier dir
    NativeEngine.Seed 4L
    use wider = BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(3L, 7L), torch.nn.ReLU(), BayesNN.BayesLinear(7L, 2L))
    let path = dir.File "mixed.bnn"
    writeUnsealed path ((description bytes).Replace("\"Version\":3", "\"Version\":2")) wider
    let e = refused path
    Assert.Contains("'body.0.weight_mu' of shape [5, 3]", e.Expected)
    Assert.Contains("shape [7, 3]", e.Found)

[<Fact>]
let ``a description that is not JSON, or describes impossible sizes, is a FileFormatException, not a JsonException or an allocation`` () =
    engine ()
    use dir = new TempDir()
    let model, _, bytes = savedClassifier dir
    let path = dir.File "bad.bnn"
    writeUnsealed path "{\"Version\":2,\"Layers\":[{\"Type\":" model
    Assert.Contains("JSON", (refused path).Expected)
    // The same inside the checksummed frame of version 3 (a checksum that matches a broken description).
    BayesDL.IO.SealedFile.Write(path, "BAYESDL-BNN", 3, fun w -> w.Write "{\"Version\":3,\"Layers\":[{\"Type\":")
    Assert.Contains("the model description (valid JSON)", (refused path).Expected)
    // Two million by two million weights promised by a file of a few hundred bytes.
    writeUnsealed path ((description bytes).Replace("\"Version\":3", "\"Version\":2").Replace("[3,5]", "[2000000,2000000]")) model
    let e = refused path
    Assert.Contains("BayesLinear layer '0'", e.Expected)
    Assert.Contains("[2000000, 2000000]", e.Found)

[<Fact>]
let ``a file in the layout of format version 2 still loads with the same weights`` () =
    engine ()
    use dir = new TempDir()
    let model, _, bytes = savedClassifier dir
    let path = dir.File "v2.bnn"
    writeUnsealed path ((description bytes).Replace("\"Version\":3", "\"Version\":2")) model
    use loaded = ModelFile.Load(path, ComputePolicy.Cpu)
    for KeyValue(key, t) in model.state_dict() do
        Assert.Equal<float[]>(values t, values (loaded.state_dict()[key]))
