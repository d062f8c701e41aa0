using System.Diagnostics;
using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// What replicated MC dropout fits (<see cref="SequentialBuilder.FitMCDropoutReplicas"/>) save on small networks: the UCI
/// benchmark's network (8 inputs, 50 ReLU units, dropout 0.05 on inputs and hidden units) on 740 synthetic rows, batch 128,
/// trained alone by <see cref="BuiltModel.FitMCDropout"/> and as K = 1, 10 and 40 replicas. Reports the median over alternating
/// rounds of milliseconds per training step and microseconds per replica-step (a step's time divided by K).
/// </summary>
public sealed class ReplicasWorkload : IWorkload
{
    public string Name => "replicas";
    public string Description =>
        "replicated MC dropout fits of an 8-50-1 network: microseconds per replica-step for K = 1, 10, 40 vs a lone fit";

    const long Rows = 740, Features = 8;
    static readonly int[] Counts = [1, 10, 40];

    public IDictionary<string, object> Run(BenchOptions options)
    {
        int rounds = options.Quick ? 1 : 5, epochs = options.Quick ? 2 : 150;
        using var generator = new Generator(17UL, CPU);
        using var x = randn([Rows, Features], generator: generator);
        using var y = x.sum(1, keepdim: true).sin() + 0.1 * randn([Rows, 1], generator: generator);
        var data = new LabeledData(x, y);
        var fit = new MCDropoutFitOptions(Epochs: epochs, BatchSize: 128, Seed: 1, LengthScale: 0.01);
        long steps = epochs * ((Rows + 127) / 128);
        var lone = new List<double>();
        var replicated = Counts.ToDictionary(k => k, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            using (var result = Declare().FitMCDropout(data, fit, ComputePolicy.Cpu).Model) { }
            lone.Add(clock.Elapsed.TotalMilliseconds / steps);
            foreach (int k in Counts)
            {
                var replicas = Enumerable.Range(0, k).Select(_ => new MCDropoutReplica(Declare(), data)).ToArray();
                clock.Restart();
                var models = SequentialBuilder.FitMCDropoutReplicas(replicas, fit, ComputePolicy.Cpu).Models;
                replicated[k].Add(clock.Elapsed.TotalMilliseconds / steps);
                foreach (var m in models) m.Dispose();
            }
            options.Progress($"round {r + 1}/{rounds}: lone {lone[^1]:F3} ms/step; " +
                             string.Join("; ", Counts.Select(k => $"K = {k}: {replicated[k][^1]:F3} ms/step")));
        }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        var figures = new Dictionary<string, object>
        {
            ["steps"] = steps,
            ["rounds"] = rounds,
            ["lone_ms_per_step"] = Math.Round(Median(lone), 4),
        };
        foreach (int k in Counts)
        {
            figures[$"k{k}_ms_per_step"] = Math.Round(Median(replicated[k]), 4);
            figures[$"k{k}_us_per_replica_step"] = Math.Round(1000 * Median(replicated[k]) / k, 1);
        }
        foreach (int k in Counts)
            options.Progress($"K = {k}: {figures[$"k{k}_us_per_replica_step"]} us per replica-step " +
                             $"(lone fit {1000 * Median(lone):F1} us per step)");
        return figures;
    }

    static SequentialBuilder Declare() =>
        ModelBuilder.Sequential().Linear(Features, 50).Relu().Linear(50, 1)
            .WithLikelihood(Likelihoods.Gaussian(1.0)).WithVariational(VariationalFamily.Dropout(0.05));
}
