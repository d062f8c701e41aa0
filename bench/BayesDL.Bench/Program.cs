using System.Text.Json;
using BayesDL.Bench;

// Usage: dotnet run -c Release --project bench/BayesDL.Bench -- NAME [--quick] [--out DIR]
IWorkload[] workloads =
{
    new BayesDL.Bench.Workloads.EngineWorkload(),
    new BayesDL.Bench.Workloads.KlWorkload(),
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
var options = new BenchOptions(args.Contains("--quick"), Path.GetFullPath(output));
options.Progress($"{workload.Name}{(options.Quick ? " (quick)" : "")}: {workload.Description}");
var figures = new SortedDictionary<string, object>(workload.Run(options)) { ["workload"] = workload.Name, ["quick"] = options.Quick };
Console.WriteLine(JsonSerializer.Serialize(figures));
return 0;
