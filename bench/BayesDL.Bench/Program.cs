using System.Text.Json;
using BayesDL.Bench;

// Usage: dotnet run -c Release --project bench/BayesDL.Bench -- NAME [--quick] [--out DIR] [--threads N] [--seed N]
// [--library-only | --bare-loop-only] [--trim-between-phases] [--malloc-arena-max N] [--malloc-trim-threshold BYTES]
// [--malloc-mmap-threshold BYTES] (+ the workload's own options, e.g. uci --datasets yacht)
IWorkload[] workloads =
{
    new BayesDL.Bench.Workloads.EngineWorkload(),
    new BayesDL.Bench.Workloads.ToyRegressionWorkload(),
    new BayesDL.Bench.Workloads.BbbWorkload(),
    new BayesDL.Bench.Workloads.VaeWorkload(),
    new BayesDL.Bench.Workloads.VaePhasesWorkload(),
    new BayesDL.Bench.Workloads.BbbPhasesWorkload(),
    new BayesDL.Bench.Workloads.CvaeWorkload(),
    new BayesDL.Bench.Workloads.M2Workload(),
    new BayesDL.Bench.Workloads.KLWorkload(),
    new BayesDL.Bench.Workloads.MCDropoutWorkload(),
    new BayesDL.Bench.Workloads.ShiftWorkload(),
    new BayesDL.Bench.Workloads.PosthocWorkload(),
    new BayesDL.Bench.Workloads.McmcWorkload(),
    new BayesDL.Bench.Workloads.UciWorkload(),
    new BayesDL.Bench.Workloads.ReplicasWorkload(),
    new BayesDL.Bench.Workloads.SbcWorkload(),
    new BayesDL.Bench.Workloads.PosteriorDbWorkload(),
};

string? name = args.FirstOrDefault(a => !a.StartsWith("--"));
IWorkload? workload = workloads.FirstOrDefault(w => w.Name == name);
if (workload is null)
{
    Console.Error.WriteLine(name is null ? "Name a workload:" : $"Unknown workload '{name}'. Workloads:");
    foreach (var w in workloads) Console.Error.WriteLine($"  {w.Name,-16} {w.Description}");
    return 2;
}
int outAt = Array.IndexOf(args, "--out");
string output = outAt >= 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("artifacts", "bench");
Directory.CreateDirectory(output);
// --threads N: intra-op threads of the engine for every workload. Default 2, the setting of the PyTorch
// reference figures. On a machine whose cores are oversubscribed by other processes, 2 OpenMP threads can run
// ten times slower than 1 (threads spin at barriers), so runs on a shared machine may pass 1.
// --malloc-*: glibc allocator parameters set before the engine loads (NativeAllocator.Configure; the same as the
// MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_ environment variables).
int? IntOption(string option)
{
    int at = Array.IndexOf(args, option);
    if (at < 0) return null;
    return at + 1 < args.Length && int.TryParse(args[at + 1], out int v)
        ? v
        : throw new ArgumentException($"The option {option} needs an integer value, e.g. {option} 2.");
}
var allocator = (Arenas: IntOption("--malloc-arena-max"), Trim: IntOption("--malloc-trim-threshold"),
    Mmap: IntOption("--malloc-mmap-threshold"));
if (allocator != (null, null, null))
    BayesDL.Engine.NativeAllocator.Configure(allocator.Arenas, allocator.Trim, allocator.Mmap);
int threadsAt = Array.IndexOf(args, "--threads");
int threads = threadsAt >= 0 && threadsAt + 1 < args.Length && int.TryParse(args[threadsAt + 1], out int t) && t > 0 ? t : 2;
BayesDL.Engine.NativeEngine.EnsureLoaded();
TorchSharp.torch.set_num_threads(threads);
// --interop-threads N: libtorch's inter-op pool (default: as many as cores), for the memory runs' thread measurements.
if (IntOption("--interop-threads") is int interop) TorchSharp.torch.set_num_interop_threads(interop);
// --seed N: the seed of workloads that take one (vae, mcdropout, posthoc; default 1), to check that a result holds across seeds.
int seedAt = Array.IndexOf(args, "--seed");
long seed = seedAt >= 0 && seedAt + 1 < args.Length && long.TryParse(args[seedAt + 1], out long sd) ? sd : 1;
var options = new BenchOptions(args.Contains("--quick"), Path.GetFullPath(output), seed) { Arguments = args };
options.Progress($"{workload.Name}{(options.Quick ? " (quick)" : "")}: {workload.Description}");
// --library-only / --bare-loop-only: the memory run, a process that trains and evaluates one model (the library's or the
// bare TorchSharp loop's) and reports resident memory after loading the engine, the data, training and evaluation.
bool libraryOnly = args.Contains("--library-only"), bareOnly = args.Contains("--bare-loop-only");
IDictionary<string, object> Measure()
{
    if (!libraryOnly && !bareOnly) return workload.Run(options);
    if (workload is not IMemoryRunWorkload memoryRun)
        throw new ArgumentException($"--library-only and --bare-loop-only apply to the workloads with a memory run " +
            $"({string.Join(", ", workloads.OfType<IMemoryRunWorkload>().Select(w => w.Name))}), not '{workload.Name}'.");
    if (libraryOnly && bareOnly) throw new ArgumentException("Pass one of --library-only and --bare-loop-only, not both.");
    var phases = new MemoryPhases(args.Contains("--trim-between-phases"), options.Progress);
    phases.Mark("loaded");
    var run = new Dictionary<string, object>(memoryRun.RunMemory(options, phases, bareOnly));
    foreach (var (k, v) in phases.Figures()) run[k] = v;
    run["memory_run"] = bareOnly ? "bare-loop-only" : "library-only";
    run["malloc_arena_max"] = allocator.Arenas ?? -1;
    run["malloc_trim_threshold"] = allocator.Trim ?? -1;
    run["malloc_mmap_threshold"] = allocator.Mmap ?? -1;
    run["trim_between_phases"] = args.Contains("--trim-between-phases");
    foreach (string v in new[] { "MALLOC_ARENA_MAX", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "DOTNET_gcServer",
                 "DOTNET_GCHeapHardLimit", "DOTNET_GCConserveMemory", "OMP_NUM_THREADS" })
        if (Environment.GetEnvironmentVariable(v) is { } value) run["env_" + v] = value;
    return run;
}
var figures = new SortedDictionary<string, object>(Measure())
{
    ["workload"] = workload.Name,
    ["quick"] = options.Quick,
    ["threads"] = TorchSharp.torch.get_num_threads(),
    ["interop_threads"] = TorchSharp.torch.get_num_interop_threads(),
};
Console.WriteLine(JsonSerializer.Serialize(figures));
return 0;
