/// The replicas benchmark workload (bench/BayesDL.Bench, `replicas`): its `--quick` run times a lone MC dropout fit and replicated
/// fits of 1, 10 and 40 replicas.
module BayesDL.Tests.Bench.ReplicasWorkloadTests

open System
open Xunit
open BayesDL.Bench
open BayesDL.Bench.Workloads
open BayesDL.Tests.TestSupport

[<Fact>]
let ``replicas --quick reports the time per step of a lone fit and of each replica count, per replica never above per step`` () =
    engine ()
    use dir = new TempDir()
    let figures = ReplicasWorkload().Run(BenchOptions(true, dir.Path, 1L, Arguments = [| "replicas"; "--quick" |]))
    let value key = figures[key] :?> float
    Assert.True(value "lone_ms_per_step" > 0.0)
    for k in [ 1; 10; 40 ] do
        let perStep, perReplica = value (sprintf "k%d_ms_per_step" k), value (sprintf "k%d_us_per_replica_step" k)
        Assert.True(Double.IsFinite perStep && perStep > 0.0, sprintf "K = %d: %g ms per step" k perStep)
        // The per-replica figure is the step's time shared by K replicas (both rounded to 0.1 microseconds).
        Assert.True(abs (1000.0 * perStep / float k - perReplica) <= 0.2, sprintf "K = %d: %g us vs %g ms / K" k perReplica perStep)
