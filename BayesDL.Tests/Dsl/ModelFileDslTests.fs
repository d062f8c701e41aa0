/// `Model.save` / `Model.load`: a fitted DSL model survives the round trip through a file (the same weight draws for
/// the same seed), and files that cannot be models come back as ModelFileError values, not exceptions.
module BayesDL.Tests.Dsl.ModelFileDslTests

open System.IO
open Xunit
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Tests.TestSupport
open TorchSharp

/// A 6-input, 3-class Bayesian classifier fitted for one epoch on 32 random points.
let private fittedClassifier () =
    NativeEngine.Seed 3L
    let x = torch.rand(32L, 6L, dtype = torch.ScalarType.Float64)
    let y = torch.randint(0L, 3L, [| 32L |], dtype = torch.ScalarType.Int64)
    use data = new BayesDL.Data.LabeledData(x.clone(), y)
    let fitted =
        bayes {
            network (bayesLinear 6L 8L >> Activation.relu >> bayesLinear 8L 3L)
            likelihood categorical
        }
        |> Model.fitVariational (vi { elbo analyticKL; epochs 1; batchSize 16 }) cpu64 data
        |> Result.defaultWith (fun e -> failwith e.Message)
    fitted, x

let private expectFileError (r: Result<'a, BayesError>) =
    match r with
    | Error(ModelFileError(path, message)) -> path, message
    | Error other -> failwithf "expected ModelFileError, got %A" other
    | Ok _ -> failwith "expected ModelFileError, got a model"

[<Fact>]
let ``a saved and loaded model gives the fitted model's predictions for the same seed`` () =
    engine ()
    use dir = new TempDir()
    let fitted, x = fittedClassifier ()
    use _ = fitted.Model.Core
    let path = dir.File "classifier.bnn"
    match Model.save path fitted with
    | Ok() -> ()
    | Error e -> failwith e.Message
    use loaded = Model.load path cpu64 |> Result.defaultWith (fun e -> failwith e.Message)
    Assert.Equal(Some(NetworkInput(6L, false)), loaded.Input)
    NativeEngine.Seed 11L
    use before = fitted.Model.Predict(x, 20)
    NativeEngine.Seed 11L
    use after = loaded.Predict(x, 20)
    // Identical weights and identical random streams give bit-identical draws; a reinitialised posterior would not.
    Assert.True(before.Samples.eq(after.Samples).all().item<bool>(), "the loaded model's seeded predictions differ from the fitted model's")
    // The draws are not all equal, so equality above is not that of two constant outputs.
    Assert.True(scalar (before.Samples.std()) > 0.0)

[<Fact>]
let ``loading a missing file is a ModelFileError naming the file`` () =
    engine ()
    use dir = new TempDir()
    let missing = dir.File "nowhere.bnn"
    let path, message = Model.load missing cpu64 |> expectFileError
    Assert.Equal(missing, path)
    Assert.Contains("nowhere.bnn", message)

[<Fact>]
let ``loading a file that is not a model is a ModelFileError saying so`` () =
    engine ()
    use dir = new TempDir()
    let garbage = dir.File "garbage.bnn"
    File.WriteAllBytes(garbage, Array.init 300 (fun i -> byte ((i * 37 + 11) % 256)))
    let _, message = Model.load garbage cpu64 |> expectFileError
    Assert.Contains("not a BayesDL model file", message)
    File.WriteAllText(garbage, "")
    let _, emptyMessage = Model.load garbage cpu64 |> expectFileError
    Assert.Contains("not a BayesDL model file", emptyMessage)

[<Fact>]
let ``loading a model file of an unsupported version is a ModelFileError naming the version`` () =
    engine ()
    use dir = new TempDir()
    let future = dir.File "future.bnn"
    do
        use writer = new BinaryWriter(File.Create future)
        writer.Write "BAYESDL-BNN"
        writer.Write """{"Version":99,"Layers":[]}"""
    let _, message = Model.load future cpu64 |> expectFileError
    Assert.Contains("version 99", message)

[<Fact>]
let ``saving into a folder that does not exist is a ModelFileError and writes nothing`` () =
    engine ()
    use dir = new TempDir()
    let fitted, _ = fittedClassifier ()
    use _ = fitted.Model.Core
    let target = Path.Combine(dir.Path, "no-such-folder", "m.bnn")
    let path, _ = Model.save target fitted |> expectFileError
    Assert.Equal(target, path)
    Assert.Empty(Directory.GetFileSystemEntries dir.Path)

[<Fact>]
let ``Ensemble.save and Ensemble.load round-trip a fitted ensemble; a VAE's or a missing file is a ModelFileError`` () =
    engine ()
    use dir = new TempDir()
    NativeEngine.Seed 6L
    let x = torch.rand(24L, 3L, dtype = torch.ScalarType.Float64)
    use data = new BayesDL.Data.LabeledData(x.clone(), x.sum(1L, keepdim = true))
    let fitted =
        model { network (linear 3L 8L >> Activation.tanh >> linear 8L 2L); likelihood heteroscedastic }
        |> Ensemble.fit (ensemble { members 3; epochs 2; batchSize 8; seed 2L }) cpu64 data
        |> Result.defaultWith (fun e -> failwith e.Message)
    let path = dir.File "ensemble.bnn"
    Assert.Equal(Ok(), Ensemble.save path fitted.Ensemble)
    let loaded = Ensemble.load path cpu64 |> Result.defaultWith (fun e -> failwith e.Message)
    Assert.Equal(3, loaded.Members.Count)
    use a = fitted.Predict x
    use b = loaded.Predict x
    Assert.Equal<float[]>(values a.Samples, values b.Samples)
    let vaePath = dir.File "vae.bnn"
    let v = vae { encoder (linear 3L 4L >> Activation.relu); decoder (linear 2L 4L >> Activation.relu >> linear 4L 3L); latent 2 }
            |> Vae.buildOn cpu64 |> Result.defaultWith (fun e -> failwith e.Message)
    Assert.Equal(Ok(), Vae.save vaePath v)
    let p, message = expectFileError (Ensemble.load vaePath cpu64)
    Assert.Equal(vaePath, p)
    Assert.Contains("ModelFile.LoadVae", message)
    expectFileError (Ensemble.load (dir.File "none.bnn") cpu64) |> ignore

[<Fact>]
let ``Vae.save and Vae.load round-trip a VAE bitwise; a custom prior is an InvalidParameter and writes nothing`` () =
    engine ()
    use dir = new TempDir()
    NativeEngine.Seed 7L
    let declared = vae { encoder (linear 5L 6L >> Activation.relu); decoder (linear 2L 6L >> Activation.relu >> linear 6L 5L); latent 2 }
    let model = declared |> Vae.buildOn cpu64 |> Result.defaultWith (fun e -> failwith e.Message)
    let x = torch.rand(16L, 5L, dtype = torch.ScalarType.Float64)
    Vae.fit (vi { epochs 1; batchSize 8 }) x model |> Result.defaultWith (fun e -> failwith e.Message) |> ignore
    let path = dir.File "vae.bnn"
    Assert.Equal(Ok(), Vae.save path model)
    let loaded = Vae.load path cpu64 |> Result.defaultWith (fun e -> failwith e.Message)
    for KeyValue(name, t) in model.state_dict() do
        Assert.True(t.equal(loaded.state_dict()[name]).all().item<bool>(), name)
    expectFileError (Vae.load (dir.File "none.bnn") cpu64) |> ignore
    let custom = { declared with Prior = Some(Normal(0.0, 2.0)) } |> Vae.buildOn cpu64 |> Result.defaultWith (fun e -> failwith e.Message)
    match Vae.save (dir.File "custom.bnn") custom with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("prior", message)
    | other -> failwithf "expected InvalidParameter, got %A" other
    Assert.False(File.Exists(dir.File "custom.bnn"))
