/// The memory runs of the benchmarks (`--library-only`): a workload loads, trains and evaluates one model and the resident
/// memory is recorded at each phase boundary.
module BayesDL.Tests.Bench.MemoryRunTests

open System
open Xunit
open BayesDL.Bench
open BayesDL.Bench.Workloads
open BayesDL.Tests.TestSupport

[<Fact>]
let ``a quick mcdropout memory run marks four phases whose peaks never fall, and a bare-loop run is refused by name`` () =
    engineOneThread ()
    use dir = new TempDir()
    let options = BenchOptions(true, dir.Path, 1L, Arguments = [| "mcdropout"; "--quick"; "--library-only" |])
    let phases = MemoryPhases(false, fun _ -> ())
    phases.Mark "loaded"
    let workload = MCDropoutWorkload()
    let figures = workload.RunMemory(options, phases, false)
    let memory = phases.Figures()
    let at (key: string) = Convert.ToDouble(memory[key])
    let names = [ "loaded"; "data"; "trained"; "evaluated" ]
    let peaks = names |> List.map (fun p -> at ("peak_rss_mb_" + p))
    // Linux adds each thread's resident pages to the process's count in batches of 64 pages (TASK_RSS_EVENTS_THRESH), so
    // two readings of the peak may differ by up to 64 pages per thread.
    let slack = float (Diagnostics.Process.GetCurrentProcess().Threads.Count * 64 * 4096) / 1048576.0
    Assert.True(peaks |> List.pairwise |> List.forall (fun (a, b) -> a <= b + slack),
        sprintf "peaks %A should not fall by more than %g MB" peaks slack)
    for p in names do
        Assert.True(at ("rss_mb_" + p) > 0.0 && at ("rss_mb_" + p) <= at ("peak_rss_mb_" + p) + slack, sprintf "phase %s" p)
    Assert.True(at "peak_rss_mb" >= List.last peaks,
        sprintf "process peak %g MB, peak after evaluation %g MB" (at "peak_rss_mb") (List.last peaks))
    let faults = names |> List.map (fun p -> at ("minor_faults_" + p))
    Assert.True(faults |> List.pairwise |> List.forall (fun (a, b) -> a <= b), sprintf "page faults %A should never fall" faults)
    // The 1,024-digit, one-epoch model is far better than chance (0.1) on its 500 test digits.
    Assert.True(Convert.ToDouble(figures["test_accuracy"]) > 0.5)
    let e = Assert.Throws<ArgumentException>(fun () -> workload.RunMemory(options, phases, true) |> ignore)
    Assert.Contains("no bare TorchSharp loop", e.Message)
