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
let description (bytes: byte[]) =
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

// Deep ensembles and VAEs in the same sealed frame (format version 4, with a kind).

/// A trained 3-member ensemble (heteroscedastic regression) and a trained VAE with a learned-scale Gaussian decoder, both float32 on CPU.
let trainedEnsemble () =
    NativeEngine.Seed 11L
    let x = torch.randn(48L, 3L)
    use data = new LabeledData(x.clone(), x.sum(1L, keepdim = true).sin())
    let declared =
        BayesDL.Builders.ModelBuilder.Sequential().Linear(3L, 8L).Tanh().Linear(8L, 2L)
            .WithLikelihood(BayesDL.Builders.Likelihoods.Heteroscedastic())
    let fitted =
        BayesDL.Builders.EnsembleBuilding.FitEnsemble(declared, data,
            BayesDL.Builders.EnsembleFitOptions(Members = 3, Epochs = 2, BatchSize = 16, LearningRate = 0.01, Seed = 3L), ComputePolicy.Cpu)
    fitted.Ensemble, x

let private trainedVae () =
    NativeEngine.Seed 12L
    let encoder = BayesDL.Builders.ModelBuilder.Sequential().Linear(10L, 6L).Relu()
    let decoder = BayesDL.Builders.ModelBuilder.Sequential().Linear(2L, 6L).Relu().Linear(6L, 20L)
    let builder = BayesDL.Builders.ModelBuilder.Vae(encoder, decoder, 2L).WithLikelihood(BayesDL.Builders.Likelihoods.GaussianLearned())
    let x = torch.rand(40L, 10L)
    let options = BayesDL.Builders.VariationalFitOptions(Epochs = 2, BatchSize = 8, LearningRate = 0.01, Seed = 4L)
    let fitted = builder.Fit(x, options, ComputePolicy.Cpu)
    fitted.Model, x

let private sameStateDicts (a: torch.nn.Module) (b: torch.nn.Module) =
    let da, db = a.state_dict(), b.state_dict()
    Assert.Equal<string seq>(da.Keys |> Seq.sort, db.Keys |> Seq.sort)
    for KeyValue(key, t) in da do
        Assert.Equal(t.dtype, db[key].dtype)
        Assert.Equal<float[]>(values t, values db[key])

[<Fact>]
let ``a deep ensemble round-trips bitwise: every member's weights, the likelihood and the predictive`` () =
    engineOneThread ()
    let ensemble, x = trainedEnsemble ()
    use dir = new TempDir()
    let path = dir.File "ensemble.bnn"
    ModelFile.SaveEnsemble(ensemble, path)
    Assert.Equal<string[]>([| "ensemble.bnn" |], Directory.GetFiles dir.Path |> Array.map Path.GetFileName)
    Assert.Equal(ModelFileKind.Ensemble, ModelFile.KindOf path)
    let loaded = ModelFile.LoadEnsemble(path, ComputePolicy.Cpu)
    Assert.Equal(3, loaded.Members.Count)
    Assert.Equal(ensemble.Likelihood.Describe(), loaded.Likelihood.Describe())
    for m in 0 .. 2 do
        sameStateDicts ensemble.Members[m] loaded.Members[m]
        Assert.False(loaded.Members[m].training)
    use p = ensemble.Predict x
    use q = loaded.Predict x
    Assert.Equal<float[]>(values p.Samples, values q.Samples)
    Assert.Equal<float[]>(values (p.TotalVariance()), values (q.TotalVariance()))

[<Fact>]
let ``a VAE round-trips bitwise: encoder, head, decoder, learned decoder scale, reconstructions and prior draws`` () =
    engineOneThread ()
    let vae, x = trainedVae ()
    use dir = new TempDir()
    let path = dir.File "vae.bnn"
    ModelFile.SaveVae(vae, path)
    Assert.Equal(ModelFileKind.Vae, ModelFile.KindOf path)
    use loaded = ModelFile.LoadVae(path, ComputePolicy.Cpu)
    sameStateDicts vae loaded
    let widths (v: Vae) = v.DataFeatures, v.LatentDim, v.ConditionFeatures
    Assert.Equal(widths vae, widths loaded)
    let g = Assert.IsType<GaussianDecoder>(loaded.Likelihood)
    Assert.Equal((vae.Likelihood :?> GaussianDecoder).FixedScale, g.FixedScale)
    vae.eval()
    Assert.Equal<float[]>(values (vae.Reconstruct x), values (loaded.Reconstruct x))
    let draws (v: Vae) =
        NativeEngine.Seed 9L
        values (v.SamplePrior 5L)
    Assert.Equal<float[]>(draws vae, draws loaded)
    NativeEngine.Seed 10L
    let a = values (vae.Iwae(x, 4))
    NativeEngine.Seed 10L
    Assert.Equal<float[]>(a, values (loaded.Iwae(x, 4)))

/// Asserts that <paramref name="load"/> refuses <paramref name="path"/> with a FileFormatException naming it.
let refusedBy (load: string -> unit) (path: string) =
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () -> load path)
    Assert.Equal(path, e.Path)
    Assert.StartsWith(path + ": expected ", e.Message)
    e

[<Fact>]
let ``a corrupt, truncated or NaN-holding ensemble or VAE file is a FileFormatException naming the file`` () =
    engine ()
    use dir = new TempDir()
    let ensemble, _ = trainedEnsemble ()
    let vae, _ = trainedVae ()
    let loadEnsemble path = ModelFile.LoadEnsemble(path, ComputePolicy.Cpu) |> ignore
    let loadVae path = ModelFile.LoadVae(path, ComputePolicy.Cpu) |> ignore
    let saveEnsemble p = ModelFile.SaveEnsemble(ensemble, p)
    let saveVae p = ModelFile.SaveVae(vae, p)
    for save, load, name in [ saveEnsemble, loadEnsemble, "e.bnn"; saveVae, loadVae, "v.bnn" ] do
        let path = dir.File name
        save path
        let bytes = File.ReadAllBytes path
        let changed = Array.copy bytes
        changed[bytes.Length - 3] <- changed[bytes.Length - 3] ^^^ 0x10uy
        File.WriteAllBytes(path, changed)
        Assert.Contains("corrupt", (refusedBy load path).Found)
        File.WriteAllBytes(path, bytes[.. bytes.Length - 2])
        Assert.Contains("truncated", (refusedBy load path).Found)
    // NaN weights in the last member, and in the VAE's decoder.
    setNaN (ensemble.Members[2].state_dict()["2.weight"]) 3L
    ModelFile.SaveEnsemble(ensemble, dir.File "nan-e.bnn")
    let e = refusedBy loadEnsemble (dir.File "nan-e.bnn")
    Assert.Contains("'2.2.weight'", e.Expected)
    Assert.Contains("NaN", e.Found)
    setNaN (vae.state_dict()["decoder.2.bias"]) 1L
    ModelFile.SaveVae(vae, dir.File "nan-v.bnn")
    let e = refusedBy loadVae (dir.File "nan-v.bnn")
    Assert.Contains("'decoder.2.bias'", e.Expected)
    Assert.Contains("NaN", e.Found)

/// The sealed file `source` with its description edited by `edit` and its weights kept, written (with a matching checksum) to `target`.
let resealed (source: string) (edit: string -> string) (target: string) =
    use reader = new BinaryReader(new MemoryStream(File.ReadAllBytes source))
    reader.ReadString() |> ignore
    let version = (System.Text.Json.JsonDocument.Parse(reader.ReadString())).RootElement.GetProperty("Version").GetInt32()
    reader.ReadInt64() |> ignore
    reader.ReadBytes 32 |> ignore
    let json = reader.ReadString()
    let rest = reader.ReadBytes(int (reader.BaseStream.Length - reader.BaseStream.Position))
    BayesDL.IO.SealedFile.Write(target, "BAYESDL-BNN", version, fun w -> w.Write(edit json); w.Write rest)

[<Fact>]
let ``each loader refuses a model file of another kind, naming the loader that reads it; version-3 networks are networks`` () =
    engine ()
    use dir = new TempDir()
    let _, network, _ = savedClassifier dir
    let ensemble, _ = trainedEnsemble ()
    let vae, _ = trainedVae ()
    ModelFile.SaveEnsemble(ensemble, dir.File "e.bnn")
    ModelFile.SaveVae(vae, dir.File "v.bnn")
    Assert.Equal(ModelFileKind.Network, ModelFile.KindOf network)
    Assert.Contains("\"Version\":3", description (File.ReadAllBytes network))
    use json = System.Text.Json.JsonDocument.Parse(description (File.ReadAllBytes network))
    Assert.False(fst (json.RootElement.TryGetProperty "Kind"))
    Assert.Contains("ModelFile.LoadEnsemble", (refusedBy (fun p -> ModelFile.Load p |> ignore) (dir.File "e.bnn")).Found)
    Assert.Contains("ModelFile.LoadVae", (refusedBy (fun p -> ModelFile.LoadEnsemble p |> ignore) (dir.File "v.bnn")).Found)
    Assert.Contains("ModelFile.Load:", (refusedBy (fun p -> ModelFile.LoadVae p |> ignore) network).Found + ":")
    // A version-4 description without its kind, and a version-3 one with a kind, are refused.
    let v4 = description (File.ReadAllBytes(dir.File "e.bnn"))
    BayesDL.IO.SealedFile.Write(dir.File "nokind.bnn", "BAYESDL-BNN", 4, fun w -> w.Write(v4.Replace("\"Kind\":\"Ensemble\",", "")))
    Assert.Contains("the model kind", (refusedBy (fun p -> ModelFile.LoadEnsemble p |> ignore) (dir.File "nokind.bnn")).Expected)
    // Sealed descriptions that promise more than the file holds are refused before anything that size is built.
    resealed (dir.File "e.bnn") id (dir.File "same.bnn")
    ModelFile.LoadEnsemble(dir.File "same.bnn") |> ignore
    resealed (dir.File "e.bnn") (fun j -> j.Replace("\"Members\":3", "\"Members\":300000000")) (dir.File "many.bnn")
    Assert.Contains("300000000 members", (refusedBy (fun p -> ModelFile.LoadEnsemble p |> ignore) (dir.File "many.bnn")).Found)
    // A VAE whose recorded encoder width disagrees with its encoder is refused before any weight is read.
    resealed (dir.File "v.bnn") id (dir.File "same.bnn")
    ModelFile.LoadVae(dir.File "same.bnn").Dispose()
    resealed (dir.File "v.bnn") (fun j -> j.Replace("\"EncoderFeatures\":6", "\"EncoderFeatures\":5")) (dir.File "wide.bnn")
    let e = refusedBy (fun p -> ModelFile.LoadVae p |> ignore) (dir.File "wide.bnn")
    Assert.Contains("the VAE's widths", e.Expected)
    Assert.Contains("found 6 and 20", e.Found)

[<Fact>]
let ``saving a VAE with a prior a file cannot describe, or an ensemble of unlike members, is an ArgumentException and writes nothing`` () =
    engine ()
    use dir = new TempDir()
    let encoder = BayesDL.Builders.ModelBuilder.Sequential().Linear(4L, 3L).Relu()
    let decoder = BayesDL.Builders.ModelBuilder.Sequential().Linear(2L, 4L)
    use vae =
        BayesDL.Builders.ModelBuilder.Vae(encoder, decoder, 2L)
            .WithPrior(fun d p ->
                BayesDL.Distributions.Dist.Laplace(p.Tensor(Array.zeroCreate (int d), d), p.Tensor(Array.create (int d) 1.0, d)))
            .Build(ComputePolicy.Cpu)
    let e = Assert.Throws<ArgumentException>(fun () -> ModelFile.SaveVae(vae, dir.File "v.bnn"))
    Assert.Contains("prior", e.Message)
    let unlike = BayesDL.Inference.DeepEnsemble([ torch.nn.Sequential(torch.nn.Linear(3L, 2L)) :> torch.nn.Module<_, _>
                                                  torch.nn.Sequential(torch.nn.Linear(3L, 4L), torch.nn.Linear(4L, 2L)) ])
    let e = Assert.Throws<ArgumentException>(fun () -> ModelFile.SaveEnsemble(unlike, dir.File "e.bnn"))
    Assert.Contains("member 1", e.Message)
    Assert.Empty(Directory.GetFiles dir.Path)
