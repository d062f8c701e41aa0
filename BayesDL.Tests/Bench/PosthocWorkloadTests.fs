/// The posthoc benchmark workload (bench/BayesDL.Bench, `posthoc`): its `--quick` run scores every method of issue 13's table
/// through the shared metric code, writes the Markdown table and keeps the JSON-last-line contract.
module BayesDL.Tests.Bench.PosthocWorkloadTests

open System
open System.Collections.Generic
open System.IO
open System.Text.Json
open Xunit
open BayesDL.Bench
open BayesDL.Bench.Workloads
open BayesDL.Tests.TestSupport

let private methods =
    [ "map"; "temperature"; "laplace_kfac_probit"; "laplace_kfac_mc"; "laplace_kfac_untuned"; "laplace_kfac_mc_untuned"
      "laplace_diagonal"; "swag"; "multiswag"; "sghmc"; "mc_dropout"; "bbb"; "ensemble" ]

[<Fact>]
let ``posthoc --quick scores every method with finite figures in range, writes the table, and the tuned evidence is the higher`` () =
    engineOneThread ()
    use dir = new TempDir()
    let figures = PosthocWorkload().Run(BenchOptions(true, dir.Path, 1L, Arguments = [| "posthoc"; "--quick" |]))
    // The contract: one JSON object (Program.cs serialises the figures as the last stdout line).
    JsonSerializer.Serialize(figures) |> ignore
    let rows = figures["methods"] :?> Dictionary<string, obj>
    Assert.Equal<string list>(methods, List.ofSeq rows.Keys)
    let table = File.ReadAllText(Path.Combine(dir.Path, "posthoc.md"))
    for KeyValue(key, value) in rows do
        let row = value :?> Dictionary<string, obj>
        let figure name = row[name] :?> float
        let inUnit name = let v = figure name in Assert.True(v >= 0.0 && v <= 1.0, sprintf "%s: %s = %g" key name v)
        List.iter inUnit [ "accuracy"; "ece"; "ood_auroc_noise" ]
        for name in [ "nll"; "nll_rotated_60"; "brier"; "peak_rss_mb" ] do
            let v = figure name
            Assert.True(Double.IsFinite v && v > 0.0, sprintf "%s: %s = %g" key name v)
        Assert.True(figure "fit_s" >= 0.0, sprintf "%s: fit %g s" key (figure "fit_s"))
        Assert.Contains(sprintf "| %s |" (string row["method"]), table)
    // Same Hessian, tuning starts at the untuned prior precision and keeps the best evidence it sees.
    let evidence = figures["laplace_log_evidence"] :?> Dictionary<string, obj>
    Assert.True((evidence["laplace_kfac_probit"] :?> float) >= (evidence["laplace_kfac_untuned"] :?> float))
    let prior = figures["laplace_prior_precision"] :?> Dictionary<string, obj>
    Assert.Equal(1.0, prior["laplace_kfac_untuned"] :?> float)
    Assert.NotEqual(1.0, prior["laplace_kfac_probit"] :?> float)
    Assert.True(figures["sghmc_draws_kept"] :?> int > 0)

[<Fact>]
let ``posthoc --methods laplace runs MAP and the KFAC rows alone, with their criteria; an unknown group is an error naming it`` () =
    engineOneThread ()
    use dir = new TempDir()
    let run args = PosthocWorkload().Run(BenchOptions(true, dir.Path, 2L, Arguments = Array.append [| "posthoc"; "--quick" |] args))
    let figures = run [| "--methods"; "laplace" |]
    let rows = figures["methods"] :?> Dictionary<string, obj>
    Assert.Equal<string list>([ "map"; "laplace_kfac_probit"; "laplace_kfac_mc"; "laplace_kfac_untuned"; "laplace_kfac_mc_untuned" ],
                              List.ofSeq rows.Keys)
    Assert.Equal(2L, figures["seed"] :?> int64)
    Assert.True(figures.ContainsKey "check_kfac_probit_nll_ece_below_map_acc_within_0_3_fit_below_10pct")
    Assert.True(figures.ContainsKey "check_tuned_prior_nll_below_untuned_mc_link")
    Assert.False(figures.ContainsKey "check_swag_nll_below_map")
    let e = Assert.Throws<ArgumentException>(fun () -> run [| "--methods"; "laplace,swg" |] |> ignore)
    Assert.Contains("'swg'", e.Message)
    Assert.Contains("--methods", e.Message)
