/// Format version 5: a model trained on standardised data keeps the standardisation in its file; files without one are unchanged.
module BayesDL.Tests.Models.ModelFileScalingTests

open System.IO
open Xunit
open TorchSharp
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Predictive
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Models.ModelFileTests

let private scaling () = Standardization.Of([| 10.5; -3.25; 0.0 |], [| 2.0; 0.125; 1.0 |], 42.0, 7.5)

[<Fact>]
let ``a network or ensemble saved with a standardisation keeps it exactly (version 5); one saved without it stays version 3`` () =
    engine ()
    use dir = new TempDir()
    NativeEngine.Seed 3L
    let network = BayesianNetwork.Create(Likelihood.Gaussian(GaussianNoise.Heteroscedastic), BayesDL.Layers.BayesNN.BayesLinear(3L, 2L))
    let scaled, plain = dir.File "scaled.bnn", dir.File "plain.bnn"
    ModelFile.Save(network, scaled, scaling ())
    ModelFile.Save(network, plain)
    let s = ModelFile.StandardizationOf scaled
    Assert.Equal<float seq>([| 10.5; -3.25; 0.0 |], s.InputMean)
    Assert.Equal<float seq>([| 2.0; 0.125; 1.0 |], s.InputScale)
    Assert.Equal((42.0, 7.5), (s.TargetMean, s.TargetScale))
    Assert.Contains("\"Version\":5", description (File.ReadAllBytes scaled))
    Assert.Equal(ModelFileKind.Network, ModelFile.KindOf scaled)
    Assert.Null(ModelFile.StandardizationOf plain)
    Assert.Contains("\"Version\":3", description (File.ReadAllBytes plain))
    // The weights load the same either way.
    use a = ModelFile.Load(scaled, ComputePolicy.Cpu)
    use b = ModelFile.Load(plain, ComputePolicy.Cpu)
    for KeyValue(name, t) in a.state_dict() do Assert.True(t.equal(b.state_dict()[name]).all().item<bool>(), name)
    let ensemble, _ = trainedEnsemble ()
    let e = dir.File "ensemble.bnn"
    ModelFile.SaveEnsemble(ensemble, e, scaling ())
    Assert.Equal(ModelFileKind.Ensemble, ModelFile.KindOf e)
    Assert.Equal(42.0, (ModelFile.StandardizationOf e).TargetMean)
    Assert.Equal(3, ModelFile.LoadEnsemble(e).Members.Count)
    ModelFile.SaveEnsemble(ensemble, dir.File "plain-ensemble.bnn")
    Assert.Contains("\"Version\":4", description (File.ReadAllBytes(dir.File "plain-ensemble.bnn")))
    Assert.Null(ModelFile.StandardizationOf(dir.File "plain-ensemble.bnn"))

[<Fact>]
let ``a standardisation that is invalid, of an unknown record version, or in a file older than version 5 is refused naming the file`` () =
    engine ()
    use dir = new TempDir()
    NativeEngine.Seed 3L
    let network = BayesianNetwork.Create(Likelihood.Gaussian(GaussianNoise.Heteroscedastic), BayesDL.Layers.BayesNN.BayesLinear(3L, 2L))
    let scaled = dir.File "scaled.bnn"
    ModelFile.Save(network, scaled, scaling ())
    let standardization (path: string) = ModelFile.StandardizationOf path |> ignore
    resealed scaled (fun j -> j.Replace("\"TargetScale\":7.5", "\"TargetScale\":0")) (dir.File "zero.bnn")
    let e = refusedBy standardization (dir.File "zero.bnn")
    Assert.Contains("the standardisation", e.Expected)
    Assert.Contains("targetScale", e.Found)
    resealed scaled (fun j -> j.Replace("\"Scaling\":{\"Version\":1", "\"Scaling\":{\"Version\":2")) (dir.File "future.bnn")
    Assert.Contains("version 2", (refusedBy standardization (dir.File "future.bnn")).Found)
    // A version-3 file carrying a standardisation: an older BayesDL would ignore it and predict on the wrong scale, so none is written.
    let json = (description (File.ReadAllBytes scaled)).Replace("\"Version\":5", "\"Version\":3").Replace("\"Kind\":\"Network\",", "")
    let weights =
        use reader = new BinaryReader(new MemoryStream(File.ReadAllBytes scaled))
        reader.ReadString() |> ignore; reader.ReadString() |> ignore; reader.ReadInt64() |> ignore; reader.ReadBytes 32 |> ignore
        reader.ReadString() |> ignore
        reader.ReadBytes(int (reader.BaseStream.Length - reader.BaseStream.Position))
    BayesDL.IO.SealedFile.Write(dir.File "old.bnn", "BAYESDL-BNN", 3, fun w -> w.Write json; w.Write weights)
    Assert.Contains("no standardisation", (refusedBy (fun p -> ModelFile.Load p |> ignore) (dir.File "old.bnn")).Expected)
    // The statistics are validated when made, too.
    Assert.Throws<System.ArgumentException>(fun () -> Standardization.Of([| 1.0 |], [| -2.0 |], 0.0, 1.0) |> ignore) |> ignore
    Assert.Throws<System.ArgumentException>(fun () -> Standardization.Of([| 1.0; 2.0 |], [| 1.0 |], 0.0, 1.0) |> ignore) |> ignore

[<Fact>]
let ``the standardisation maps tensors as its scalar form does`` () =
    engine ()
    let s = scaling ()
    use x = torch.tensor([| 12.5; -3.0; 4.0; 10.5; -3.5; -1.0 |], dtype = torch.ScalarType.Float64).reshape(2L, 3L)
    let expected = [| for r in 0 .. 1 do for c in 0 .. 2 -> s.Input(c, [| 12.5; -3.0; 4.0; 10.5; -3.5; -1.0 |][3 * r + c]) |]
    Assert.Equal<float[]>(expected, values (s.Inputs x))
    use y = torch.tensor([| 49.5; 42.0 |], dtype = torch.ScalarType.Float64)
    Assert.Equal<float[]>([| 1.0; 0.0 |], values (s.Targets y))
    Assert.Equal<float[]>([| 49.5; 42.0 |], values (s.TargetsToOriginal(s.Targets y)))
    Assert.Equal<float[]>([| 56.25 |], values (s.VariancesToOriginal(torch.tensor([| 1.0 |], dtype = torch.ScalarType.Float64))))
    Assert.Throws<System.ArgumentException>(fun () -> s.Inputs(torch.zeros(2L, 2L)) |> ignore) |> ignore
