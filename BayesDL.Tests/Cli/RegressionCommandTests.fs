/// Regression tables through `bayesdl train`, `predict` and `evaluate`: inputs and target standardised by the training rows, the
/// statistics kept in the model file, and every number printed back on the target's original scale.
module BayesDL.Tests.Cli.RegressionCommandTests

open System
open System.Globalization
open System.IO
open System.Text.Json
open Xunit
open TorchSharp
open BayesDL.Cli
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Cli.CliSupport

let private number (s: string) = Double.Parse(s, CultureInfo.InvariantCulture)

/// Split 0 of the UCI yacht data (data/uci): training rows, test rows with the target, test rows without it, and the test targets.
let private yachtSplit (dir: TempDir) =
    let folder = Path.Combine(repoRoot, "data", "uci")
    let lines = File.ReadAllLines(Path.Combine(folder, "yacht.csv"))
    let header, rows = lines[0], lines[1..]
    use splits = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "yacht.splits.json")))
    let first = splits.RootElement.GetProperty("splits").EnumerateArray() |> Seq.head
    let test = first.GetProperty("test").EnumerateArray() |> Seq.map (fun e -> e.GetInt32()) |> Set.ofSeq
    let testRows = rows |> Array.indexed |> Array.filter (fun (i, _) -> test.Contains i) |> Array.map snd
    let withoutTarget (row: string) = row.Substring(0, row.LastIndexOf(','))
    let train, held, inputs = dir.File "yacht-train.csv", dir.File "yacht-test.csv", dir.File "yacht-test-x.csv"
    let trainRows = rows |> Array.indexed |> Array.filter (fun (i, _) -> not (test.Contains i)) |> Array.map snd
    File.WriteAllLines(train, Array.append [| header |] trainRows)
    File.WriteAllLines(held, Array.append [| header |] testRows)
    File.WriteAllLines(inputs, Array.append [| withoutTarget header |] (testRows |> Array.map withoutTarget))
    train, held, inputs, testRows |> Array.map (fun r -> number (r.Substring(r.LastIndexOf(',') + 1)))

let private ok (args: string list) =
    let code, out, err = runStreams args
    Assert.True((code = ExitCodes.Success), sprintf "%A: exit %d\n%s%s" args code out err)
    out

[<Fact>]
let ``mcdropout on a yacht split predicts on the target's scale: RMSE far below the spread of the targets, evaluate agrees`` () =
    engine ()
    use dir = new TempDir()
    let train, held, inputs, targets = yachtSplit dir
    let model = dir.File "yacht.bnn"
    ok [ "train"; "--method"; "mcdropout"; "--network"; "6-50-2"; "--csv"; train; "--target"; "y"; "--task"; "regression"
         "--epochs"; "100"; "--batch-size"; "32"; "--lr"; "0.01"; "--seed"; "1"; "--output"; model; "--quiet" ] |> ignore
    let out = ok [ "predict"; model; "--input"; inputs; "--samples"; "50"; "--seed"; "2" ]
    let lines = out.Trim().Split('\n') |> Array.map (fun l -> l.Trim().Split ',')
    let meanColumn = Array.IndexOf(lines[0], "mean")
    let means = lines[1..] |> Array.map (fun r -> number r[meanColumn])
    Assert.Equal(targets.Length, means.Length)
    let rmse = sqrt (Array.averageBy (fun (m, y) -> (m - y) ** 2.0) (Array.zip means targets))
    // Predicting the test targets' own mean would score their sd (about 15 on this split); a model whose predictions stayed on the
    // standardised scale, or were never mapped back, is that far off or further. A fitted network explains most of the variance.
    let spread = let m = Array.average targets in sqrt (Array.averageBy (fun y -> (y - m) ** 2.0) targets)
    Assert.True(rmse < spread / 3.0, sprintf "RMSE %g against the targets' sd %g" rmse spread)
    // evaluate scores the same predictive (same seed and T) against the table's target column: the same RMSE.
    use json = JsonDocument.Parse(ok [ "evaluate"; model; "--csv"; held; "--target"; "y"; "--samples"; "50"; "--seed"; "2"; "--json" ])
    let reported = json.RootElement.GetProperty("rmse").GetDouble()
    Assert.True(abs (reported - rmse) <= 1e-5 * rmse, sprintf "evaluate RMSE %g, from predict's means %g" reported rmse)
    Assert.True(Double.IsFinite(json.RootElement.GetProperty("test_log_likelihood").GetDouble()))
    Assert.Equal(31.0, json.RootElement.GetProperty("count").GetDouble())

[<Fact>]
let ``a regression ensemble keeps the standardisation: predict equals its members' predictive mapped back by hand`` () =
    engine ()
    use dir = new TempDir()
    let rng = Random 8
    let train, query = dir.File "train.csv", dir.File "query.csv"
    let rows = Array.init 40 (fun _ -> let a = 1000.0 + 50.0 * rng.NextDouble() in a, 3.0 * a + 5.0 * rng.NextDouble())
    File.WriteAllLines(train, "a,y" :: [ for a, y in rows -> String.Format(CultureInfo.InvariantCulture, "{0:R},{1:R}", a, y) ])
    File.WriteAllLines(query, [ "a"; "1010"; "1040"; "1100" ])
    let model = dir.File "ens.bnn"
    ok [ "train"; "--method"; "ensemble"; "--members"; "3"; "--network"; "1-8-2"; "--csv"; train; "--target"; "y"; "--task"; "regression"
         "--epochs"; "2"; "--output"; model; "--quiet" ] |> ignore
    use json = JsonDocument.Parse(ok [ "predict"; model; "--input"; query; "--format"; "json" ])
    let printed (name: string) = json.RootElement.EnumerateArray() |> Seq.map (fun r -> r.GetProperty(name).GetDouble()) |> Seq.toArray
    let meanSd (xs: float[]) = let m = Array.average xs in m, sqrt (Array.averageBy (fun x -> (x - m) ** 2.0) xs)
    let ma, sa = meanSd (Array.map fst rows)
    let my, sy = meanSd (Array.map snd rows)
    let ensemble = ModelFile.LoadEnsemble(model, ComputePolicy.Default)
    use x = torch.tensor([| 1010.0; 1040.0; 1100.0 |] |> Array.map (fun a -> float32 ((a - ma) / sa))).reshape(3L, 1L)
    use p = ensemble.Predict x
    let expect (name: string) (raw: float[]) (back: float -> float) =
        let actual = printed name
        for i in 0 .. 2 do
            let e = back raw[i]
            Assert.True(abs (e - actual[i]) <= 1e-5 * max 1.0 (abs e), sprintf "%s row %d: by hand %g, printed %g" name i e actual[i])
    expect "mean" (values (p.Mean())) (fun m -> my + sy * m)
    expect "aleatoric_variance" (values (p.AleatoricVariance())) (fun v -> sy * sy * v)
    expect "epistemic_variance" (values (p.EpistemicVariance())) (fun v -> sy * sy * v)

let private uci (name: string) = Path.Combine(repoRoot, "data", "uci", name)

[<Fact>]
let ``--splits and --split train on a split's training rows and evaluate its test rows, as the table cut by hand`` () =
    engine ()
    use dir = new TempDir()
    // Split 0's rows cut by hand, in the splits file's order (the order sets the minibatches and which draw meets which row).
    let lines = File.ReadAllLines(uci "yacht.csv")
    let splits = BayesDL.Data.RegressionSplits.Load(uci "yacht.splits.json", lines.Length - 1)
    let cut (name: string) (rows: int[]) =
        File.WriteAllLines(dir.File name, Array.append [| lines[0] |] (rows |> Array.map (fun r -> lines[r + 1])))
        dir.File name
    let train, held = cut "train.csv" (splits.Train 0), cut "test.csv" (splits.Test 0)
    let fitArgs = [ "--method"; "mcdropout"; "--network"; "6-16-2"; "--target"; "y"; "--task"; "regression"; "--epochs"; "3"
                    "--batch-size"; "32"; "--seed"; "4"; "--quiet" ]
    let bySplit, byHand = dir.File "split.bnn", dir.File "hand.bnn"
    ok ([ "train"; "--csv"; uci "yacht.csv"; "--splits"; uci "yacht.splits.json"; "--split"; "0"; "--output"; bySplit ] @ fitArgs) |> ignore
    ok ([ "train"; "--csv"; train; "--output"; byHand ] @ fitArgs) |> ignore
    let score (args: string list) =
        use json = JsonDocument.Parse(ok ([ "evaluate" ] @ args @ [ "--target"; "y"; "--samples"; "20"; "--seed"; "3"; "--json" ]))
        let r = json.RootElement
        r.GetProperty("count").GetInt32(), r.GetProperty("rmse").GetDouble(), r.GetProperty("test_log_likelihood").GetDouble()
    // Same training rows (so the same standardisation and weights) and the same test rows: the same scores to the last bit. A
    // selection of the wrong part (test rows for training, or the other way round) changes both.
    let fromSplit = score [ bySplit; "--csv"; uci "yacht.csv"; "--splits"; uci "yacht.splits.json"; "--split"; "0" ]
    Assert.Equal(fromSplit, score [ byHand; "--csv"; held ])
    let count, _, _ = fromSplit
    Assert.Equal(31, count)

[<Fact>]
let ``train --tune makes the library's grid search choice on the split's training rows and saves its refit`` () =
    engine ()
    use dir = new TempDir()
    let model = dir.File "tuned.bnn"
    let out =
        ok [ "train"; "--method"; "mcdropout"; "--tune"; "--network"; "6-50-1"; "--csv"; uci "yacht.csv"; "--target"; "y"
             "--task"; "regression"; "--splits"; uci "yacht.splits.json"; "--split"; "2"; "--epochs"; "30"; "--batch-size"; "64"
             "--lr"; "0.01"; "--seed"; "5"; "--output"; model; "--quiet" ]
    // The library on the same split (standardised by its 277 training rows), the same settings and seed.
    let dataset = BayesDL.Data.RegressionDataset.Uci("yacht", Path.Combine(repoRoot, "data"))
    use split = dataset.Split 2
    let network = BayesDL.Builders.ModelBuilder.Sequential().Linear(6L, 50L).Relu().Linear(50L, 1L)
    let fit = BayesDL.Builders.MCDropoutFitOptions(Epochs = 30, BatchSize = 64, LearningRate = 0.01, Seed = 5L, LengthScale = 0.01)
    use search = network.SearchMCDropout([| split.Train |], BayesDL.Builders.MCDropoutGridSearchOptions(fit))
    let chosen = search.Choose(BayesDL.Builders.MCDropoutGridSearchOptions.StandardisedNoiseSds)[0]
    let sd = chosen.NoiseSd * split.Scaling.TargetScale
    Assert.Contains(sprintf "tuned on 222 rows, scored on 55 held out: dropout rate %s, noise sd %s"
                        (chosen.DropoutRate.ToString(CultureInfo.InvariantCulture)) (sd.ToString("G4", CultureInfo.InvariantCulture)), out)
    // The saved model is the refit: its noise is the chosen sd (standardised scale) and it predicts with it.
    use saved = ModelFile.Load(model, ComputePolicy.Default)
    let spec = saved.Likelihood.Describe()
    Assert.Equal(BayesDL.Predictive.GaussianNoise.Fixed, spec.Noise)
    Assert.Equal(chosen.NoiseSd, spec.Sigma, 12)

[<Fact>]
let ``--weight-init starts the tuned network as the library's declaration does: the saved refit is the library's, weight for weight`` () =
    engine ()
    use dir = new TempDir()
    let dataset = BayesDL.Data.RegressionDataset.Uci("yacht", Path.Combine(repoRoot, "data"))
    use split = dataset.Split 1
    let fit = BayesDL.Builders.MCDropoutFitOptions(Epochs = 5, BatchSize = 64, LearningRate = 0.01, Seed = 7L, LengthScale = 0.01)
    let firstWeights (network: BayesDL.Models.BayesianNetwork) = values (network.parameters() |> Seq.head)
    let refit (initialization: BayesDL.Networks.WeightInitialization) =
        let network = BayesDL.Builders.ModelBuilder.Sequential().Linear(6L, 50L).Relu().Linear(50L, 1L).WithInitialization initialization
        use search = network.SearchMCDropout([| split.Train |], BayesDL.Builders.MCDropoutGridSearchOptions(fit))
        let models = search.Refit([| search.Choose(BayesDL.Builders.MCDropoutGridSearchOptions.StandardisedNoiseSds)[0] |]).Models
        let weights = firstWeights models[0].Network
        for m in models do m.Dispose()
        weights
    let saved (name: string) =
        let model = dir.File(name + ".bnn")
        ok [ "train"; "--method"; "mcdropout"; "--tune"; "--network"; "6-50-1"; "--csv"; uci "yacht.csv"; "--target"; "y"
             "--task"; "regression"; "--splits"; uci "yacht.splits.json"; "--split"; "1"; "--epochs"; "5"; "--batch-size"; "64"
             "--lr"; "0.01"; "--seed"; "7"; "--weight-init"; name; "--output"; model; "--quiet" ] |> ignore
        use loaded = ModelFile.Load(model, ComputePolicy.Default)
        firstWeights loaded
    // The command reads the CSV itself, so its standardised rows differ from the library's split in the last float bits, and the
    // trained weights by about 1e-7 after 5 epochs; the two initialisations' weights differ by tenths.
    let gap (a: float[]) (b: float[]) = Array.map2 (fun x y -> abs (x - y)) a b |> Array.max
    let glorot = refit BayesDL.Networks.WeightInitialization.GlorotUniform
    let torchDefault = refit BayesDL.Networks.WeightInitialization.TorchDefault
    let savedGlorot, savedTorch = saved "glorot-uniform", saved "torch"
    Assert.True(gap glorot savedGlorot < 1e-5, sprintf "glorot-uniform: %g from the library's refit" (gap glorot savedGlorot))
    Assert.True(gap torchDefault savedTorch < 1e-5, sprintf "torch: %g from the library's refit" (gap torchDefault savedTorch))
    Assert.True(gap glorot savedTorch > 1e-2, sprintf "the initialisations' refits differ by only %g" (gap glorot savedTorch))

[<Fact>]
let ``--tune and --splits refuse what they cannot do, naming the option`` () =
    use dir = new TempDir()
    let csv, splits = uci "yacht.csv", uci "yacht.splits.json"
    let refused (args: string list) (fragment: string) =
        let code, out, err = runStreams ([ "train"; "--csv"; csv; "--target"; "y"; "--task"; "regression"; "--output"; dir.File "m.bnn"
                                           "--epochs"; "1"; "--quiet" ] @ args)
        Assert.True((code = ExitCodes.Usage), sprintf "%A: exit %d\n%s%s" args code out err)
        Assert.Contains(fragment, out + err)
    refused [ "--method"; "vi"; "--tune"; "--network"; "6-8-2" ] "--tune"
    refused [ "--method"; "mcdropout"; "--tune"; "--network"; "6-8-2" ] "--network 6-8-2: --tune"
    refused [ "--method"; "mcdropout"; "--tune"; "--dropout"; "0.1"; "--network"; "6-8-1" ] "--dropout 0.1"
    refused [ "--method"; "mcdropout"; "--tune"; "--no-standardize"; "--network"; "6-8-1" ] "--no-standardize with --tune"
    refused [ "--method"; "mcdropout"; "--network"; "6-8-2"; "--splits"; splits; "--split"; "20" ] "--split 20"
    refused [ "--method"; "mcdropout"; "--network"; "6-8-2"; "--splits"; splits ] "--split K"
    refused [ "--method"; "mcdropout"; "--network"; "6-8-2"; "--split"; "0" ] "--splits FILE"
    refused [ "--method"; "mcdropout"; "--network"; "6-8-2"; "--splits"; uci "energy.splits.json"; "--split"; "0" ] "--splits"
    refused [ "--method"; "mcdropout"; "--network"; "6-8-2"; "--weight-init"; "glorot-unifrom" ] "did you mean 'glorot-uniform'"
    refused [ "--method"; "vi"; "--network"; "6-8-2"; "--weight-init"; "he-normal" ] "--weight-init he-normal: applies to deterministic"
