using System.Diagnostics;
using BayesDL.Data;
using BayesDL.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Engine overhead: one SGD step (forward, backward, update) of a 784-400-10 ReLU MLP on MNIST batches
/// of 128, built through BayesDL's <see cref="ComputePolicy"/> versus written in raw TorchSharp.
/// Reports the step-time ratio (median of alternating rounds) and resident memory after 500 and 5,000
/// steps of the BayesDL loop, which must stay flat: every step runs in a dispose scope.
/// </summary>
public sealed class EngineWorkload : IWorkload
{
    public string Name => "engine";
    public string Description => "784-400-10 MLP step via ComputePolicy vs raw TorchSharp; RSS over 5,000 steps";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        int rounds = options.Quick ? 2 : 7, stepsPerRound = options.Quick ? 20 : 200, memorySteps = options.Quick ? 100 : 5000;
        var policy = ComputePolicy.Default;
        using var train = Mnist.LoadSubset("train", policy: policy);

        NativeEngine.Seed(1);
        var ours = new PolicyLoop(policy, train);
        var raw = new RawLoop(train);
        ours.Steps(20); raw.Steps(20); // warm-up

        var ratios = new List<double>();
        double oursMs = 0, rawMs = 0;
        for (int r = 0; r < rounds; r++)
        {
            double a = Time(() => ours.Steps(stepsPerRound)) / stepsPerRound;
            double b = Time(() => raw.Steps(stepsPerRound)) / stepsPerRound;
            ratios.Add(a / b); oursMs += a; rawMs += b;
            options.Progress($"round {r + 1}/{rounds}: BayesDL {a:F3} ms/step, raw {b:F3} ms/step");
        }
        ratios.Sort();

        double rss500 = 0, rss5000;
        for (int s = 1; s <= memorySteps; s++)
        {
            ours.Steps(1);
            if (s == Math.Min(500, memorySteps / 10)) { GC.Collect(); rss500 = ProcessMemory.RssMb(); }
        }
        GC.Collect();
        rss5000 = ProcessMemory.RssMb();
        options.Progress($"RSS after {Math.Min(500, memorySteps / 10)} steps {rss500:F1} MB, after {memorySteps} steps {rss5000:F1} MB");

        return new Dictionary<string, object>
        {
            ["ratio_vs_raw"] = Math.Round(ratios[ratios.Count / 2], 4),
            ["bayesdl_ms_per_step"] = Math.Round(oursMs / rounds, 4),
            ["raw_ms_per_step"] = Math.Round(rawMs / rounds, 4),
            ["rss_mb_step500"] = Math.Round(rss500, 1),
            ["rss_mb_step5000"] = Math.Round(rss5000, 1),
            ["memory_steps"] = memorySteps,
            ["device"] = policy.ToString(),
        };
    }

    static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>The loop as a BayesDL user writes it: modules and batches placed by the policy.</summary>
    sealed class PolicyLoop(ComputePolicy policy, LabeledData data)
    {
        readonly nn.Module<Tensor, Tensor> _net = policy.Apply(nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 10)));
        long _cursor;

        public void Steps(int n)
        {
            var opt = _optimizer ??= optim.SGD(_net.parameters(), 0.01);
            for (int i = 0; i < n; i++)
            {
                using var scope = NewDisposeScope();
                (Tensor x, Tensor y) = Batch(data, ref _cursor);
                opt.zero_grad();
                Tensor loss = nn.functional.cross_entropy(_net.forward(policy.Apply(x)), y);
                loss.backward();
                opt.step();
            }
        }
        optim.Optimizer? _optimizer;
    }

    /// <summary>The same loop in raw TorchSharp.</summary>
    sealed class RawLoop(LabeledData data)
    {
        readonly nn.Module<Tensor, Tensor> _net = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 10));
        optim.Optimizer? _optimizer;
        long _cursor;

        public void Steps(int n)
        {
            var opt = _optimizer ??= optim.SGD(_net.parameters(), 0.01);
            for (int i = 0; i < n; i++)
            {
                using var scope = NewDisposeScope();
                (Tensor x, Tensor y) = Batch(data, ref _cursor);
                opt.zero_grad();
                Tensor loss = nn.functional.cross_entropy(_net.forward(x), y);
                loss.backward();
                opt.step();
            }
        }
    }

    static (Tensor, Tensor) Batch(LabeledData data, ref long cursor)
    {
        const long batch = 128;
        if (cursor + batch > data.Count) cursor = 0;
        var slice = TensorIndex.Slice(cursor, cursor + batch);
        cursor += batch;
        return (data.Inputs[slice], data.Targets[slice]);
    }
}
