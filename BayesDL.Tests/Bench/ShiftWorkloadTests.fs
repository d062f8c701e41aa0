/// The shift benchmark workload (bench/BayesDL.Bench, `shift`): its `--quick` run gives every method, the posteriors around the
/// deterministic network included (Laplace, SWAG, cyclical SGHMC), a curve over the rotation angles.
module BayesDL.Tests.Bench.ShiftWorkloadTests

open System
open System.Collections.Generic
open System.Text.Json
open Xunit
open BayesDL.Bench
open BayesDL.Bench.Workloads
open BayesDL.Tests.TestSupport

[<Fact>]
let ``shift --quick gives every method, Laplace, SWAG and cyclical SGHMC included, a curve that loses accuracy when turned`` () =
    engineOneThread ()
    use dir = new TempDir()
    let figures = ShiftWorkload().Run(BenchOptions(true, dir.Path, 1L, Arguments = [| "shift"; "--quick" |]))
    JsonSerializer.Serialize(figures) |> ignore
    let angles = figures["angles"] :?> float[]
    let methods = figures["methods"] :?> Dictionary<string, obj>
    Assert.Equal<string list>(
        [ "deterministic"; "mc-dropout"; "concrete-dropout"; "bbb"; "ensemble-5"; "laplace-kfac"; "swag"; "cyclical-sghmc" ],
        List.ofSeq methods.Keys)
    let at90 = Array.IndexOf(angles, 90.0)
    for KeyValue(name, value) in methods do
        let curve = value :?> Dictionary<string, obj>
        let accuracy, nll = curve["accuracy"] :?> float[], curve["nll"] :?> float[]
        Assert.Equal(angles.Length, accuracy.Length)
        Assert.True(nll |> Array.forall (fun v -> Double.IsFinite v && v > 0.0), sprintf "%s: NLL %A" name nll)
        // Digits turned 90 degrees are far from the training digits: every method loses accuracy there.
        Assert.True(accuracy[at90] < accuracy[0], sprintf "%s: accuracy %g upright, %g at 90 degrees" name accuracy[0] accuracy[at90])
        let auroc = curve["ood_auroc_noise"] :?> float
        Assert.True(auroc >= 0.0 && auroc <= 1.0, sprintf "%s: AUROC %g" name auroc)
