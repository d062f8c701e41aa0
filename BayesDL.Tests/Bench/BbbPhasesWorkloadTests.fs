/// The bbb-phases benchmark workload (bench/BayesDL.Bench, `bbb-phases`): its `--quick` run profiles a Bayes by Backprop step of
/// the bare TorchSharp loop and of the library (as the Trainer steps now, and with TorchSharp's Adam after zeroed gradients).
module BayesDL.Tests.Bench.BbbPhasesWorkloadTests

open System
open Xunit
open BayesDL.Bench
open BayesDL.Bench.Workloads
open BayesDL.Tests.TestSupport

[<Fact>]
let ``bbb-phases --quick times every phase of every variant once per step, and no phase above its step`` () =
    engine ()
    use dir = new TempDir()
    let figures = BbbPhasesWorkload().Run(BenchOptions(true, dir.Path, 1L, Arguments = [| "bbb-phases"; "--quick" |]))
    // --quick: one epoch of 1,024 rows in minibatches of 128.
    Assert.Equal(8, figures["steps"] :?> int)
    let common = [ "gather"; "relu"; "kl"; "combine"; "backward" ]
    let phases =
        [ "bare", common @ [ "zero_grad"; "softplus"; "mean_matmul"; "variance_matmul"; "noise"; "cross_entropy"; "adam_step" ]
          "library", common @ [ "free_grads"; "layer_1"; "layer_2"; "layer_3"; "log_likelihood"; "item"; "in_place_adam_step" ]
          "library_before", common @ [ "zero_grad"; "layer_1"; "layer_2"; "layer_3"; "log_likelihood"; "item"; "adam_step" ] ]
    for variant, names in phases do
        let reported =
            figures.Keys |> Seq.filter (fun k -> k.StartsWith(variant + "_median_ms_") && not (k.EndsWith "_per_step"))
            |> Seq.map (fun k -> k.Substring((variant + "_median_ms_").Length)) |> Set.ofSeq
        Assert.Equal<Set<string>>(Set.ofList names, reported)
        let step = figures[variant + "_median_ms_per_step"] :?> float
        // Each step's total is at least each of its phases, so the median total is at least each phase's median.
        for name in names do
            let phase = figures[sprintf "%s_median_ms_%s" variant name] :?> float
            Assert.True(Double.IsFinite phase && phase >= 0.0, sprintf "%s %s: %g ms" variant name phase)
            Assert.True(phase <= step + 1e-3, sprintf "%s %s: %g ms above the step's %g ms" variant name phase step)
    Assert.Equal(1, (figures["fit_epoch_seconds"] :?> float[]).Length)
    Assert.Equal(1, (figures["bare_epoch_seconds"] :?> float[]).Length)
