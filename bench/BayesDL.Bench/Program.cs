using System.Text.Json;
using BayesDL.Bench;

// Usage: dotnet run -c Release --project bench/BayesDL.Bench -- NAME [--quick] [--out DIR] [--threads N] [--seed N]
// (+ the workload's own options, e.g. uci --datasets yacht)
IWorkload[] workloads =
{
    new BayesDL.Bench.Workloads.EngineWorkload(),
    new BayesDL.Bench.Workloads.ToyRegressionWorkload(),
    new BayesDL.Bench.Workloads.BbbWorkload(),
    new BayesDL.Bench.Workloads.VaeWorkload(),
    new BayesDL.Bench.Workloads.VaePhasesWorkload(),
    new BayesDL.Bench.Workloads.CvaeWorkload(),
    new BayesDL.Bench.Workloads.M2Workload(),
    new BayesDL.Bench.Workloads.KLWorkload(),
    new BayesDL.Bench.Workloads.MCDropoutWorkload(),
    new BayesDL.Bench.Workloads.ShiftWorkload(),
    new BayesDL.Bench.Workloads.PosthocWorkload(),
    new BayesDL.Bench.Workloads.McmcWorkload(),
    new BayesDL.Bench.Workloads.UciWorkload(),
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
int threadsAt = Array.IndexOf(args, "--threads");
int threads = threadsAt >= 0 && threadsAt + 1 < args.Length && int.TryParse(args[threadsAt + 1], out int t) && t > 0 ? t : 2;
BayesDL.Engine.NativeEngine.EnsureLoaded();
TorchSharp.torch.set_num_threads(threads);
// --seed N: the seed of workloads that take one (vae, mcdropout, posthoc; default 1), to check that a result holds across seeds.
int seedAt = Array.IndexOf(args, "--seed");
long seed = seedAt >= 0 && seedAt + 1 < args.Length && long.TryParse(args[seedAt + 1], out long sd) ? sd : 1;
var options = new BenchOptions(args.Contains("--quick"), Path.GetFullPath(output), seed) { Arguments = args };
options.Progress($"{workload.Name}{(options.Quick ? " (quick)" : "")}: {workload.Description}");
var figures = new SortedDictionary<string, object>(workload.Run(options))
{
    ["workload"] = workload.Name,
    ["quick"] = options.Quick,
    ["threads"] = TorchSharp.torch.get_num_threads(),
};
Console.WriteLine(JsonSerializer.Serialize(figures));
return 0;
