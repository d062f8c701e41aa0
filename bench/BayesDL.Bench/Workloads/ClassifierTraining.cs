using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Cross-entropy training of a plain TorchSharp classifier (deterministic, MC dropout, concrete dropout,
/// ensemble member): Adam 1e-3, batch 128, rows reshuffled every epoch by a generator seeded from the seed and
/// the epoch, every step in its own dispose scope; an optional regularizer (concrete dropout's) is added to
/// the mean loss.
/// </summary>
internal static class ClassifierTraining
{
    /// <summary>The 784-400-400-10 ReLU MLP of the MNIST experiments (Gal &amp; Ghahramani 2016, Blundell et al. 2015).</summary>
    public static Sequential Mlp() =>
        nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 400), nn.ReLU(), nn.Linear(400, 10));

    public static void Fit(nn.Module<Tensor, Tensor> model, LabeledData data, int epochs, long seed, BenchOptions options, string label,
        Func<Tensor>? regularizer = null)
    {
        NativeEngine.Seed(seed);
        var optimizer = optim.Adam(model.parameters(), 1e-3);
        model.train();
        long n = data.Count, batch = 128;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            double lossSum = 0;
            int steps = 0;
            using var order = randperm(n, generator: new Generator((ulong)(seed * 1_000_003 + epoch), CPU)).to(data.Inputs.device);
            for (long start = 0; start < n; start += batch)
            {
                using var scope = NewDisposeScope();
                Tensor rows = order.narrow(0, start, Math.Min(batch, n - start));
                optimizer.zero_grad();
                Tensor loss = nn.functional.cross_entropy(model.forward(data.Inputs.index_select(0, rows)), data.Targets.index_select(0, rows));
                if (regularizer is not null) loss = loss + regularizer();
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>();
                steps++;
            }
            options.Progress($"{label} epoch {epoch}/{epochs}: loss {lossSum / steps:F4} ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        model.eval();
    }

    /// <summary>Accuracy, NLL, Brier and ECE (15 bins) of a predictive mean.</summary>
    public static (double Accuracy, double Nll, double Brier, double Ece) Score(PredictiveSamples predictive, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor p = predictive.Mean();
        return (ClassificationMetrics.Accuracy(p, targets), ClassificationMetrics.NegativeLogLikelihood(p, targets),
            ClassificationMetrics.BrierScore(p, targets), ReliabilityDiagram.Compute(p, targets, 15).ExpectedCalibrationError);
    }

    /// <summary>Pure-noise images, every pixel U[0, 1], from a seeded generator.</summary>
    public static Tensor NoiseImages(long count, long seed) =>
        rand(new[] { count, 784L }, generator: new Generator((ulong)seed, CPU));
}
