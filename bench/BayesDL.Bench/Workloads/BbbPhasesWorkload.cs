using System.Diagnostics;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Models;
using BayesDL.Training;
using TorchSharp;
using TorchSharp.Modules;
using static BayesDL.Bench.Statistic;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Where a Bayes by Backprop training step (784-400-400-10, local reparameterization, batch 128) spends its time: the bbb
/// workload's bare TorchSharp loop phase by phase (softplus, the mean and variance matrix products, the noise, the KL sums,
/// cross-entropy, backward, Adam), and the library's model stepped as the <see cref="Trainer"/> steps it, layer by layer (a
/// layer's first forward pass in a step includes its softplus and sigma^2, which the KL term then reuses), with the optimizer
/// phase taken two ways on two copies of the model: TorchSharp's Adam after zeroing the gradients (the library before
/// <c>InPlaceAdamStep</c>) and the in-place step after freeing them (the library now). The three take turns within each step in
/// a rotating order so that they see the same machine load; medians over the steps. Also times whole epochs of the library
/// (<see cref="Trainer.Fit{TModel}"/>) against the bare loop, alternating.
/// </summary>
public sealed class BbbPhasesWorkload : IWorkload
{
    public string Name => "bbb-phases";
    public string Description => "Bayes by Backprop 784-400-400-10: milliseconds per training-step phase, library vs bare TorchSharp";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        int epochs = options.Quick ? 1 : 3;
        using var train = Mnist.LoadSubset("train", policy: ComputePolicy.Cpu);
        using var part = options.Quick ? train.Take(1024) : null;
        var data = part ?? train;
        long n = data.Count, batch = 128;

        var (now, nowLayers) = BbbWorkload.CreateModelAndLayers();
        var (before, beforeLayers) = BbbWorkload.CreateModelAndLayers();
        NativeEngine.Seed(1);
        var bare = new RawTorchSharpBbb(data, (int)batch);
        var nowParameters = now.parameters().ToList();
        using var nowAdam = optim.Adam(nowParameters, 1e-3);
        using var beforeAdam = optim.Adam(before.parameters(), 1e-3);

        var phases = new Dictionary<string, Dictionary<string, List<double>>>
        {
            ["library"] = new(),
            ["library_before"] = new(),
            ["bare"] = new(),
        };
        var steps = phases.Keys.ToDictionary(k => k, _ => 0);
        var clock = new Stopwatch();
        Action<string> Lap(string variant) => phase =>
        {
            var into = phases[variant];
            if (!into.TryGetValue(phase, out var list)) into[phase] = list = new List<double>();
            // One entry per step and phase: a phase met several times in a step (softplus in each layer) adds up.
            if (list.Count == steps[variant]) list.Add(0);
            list[^1] += clock.Elapsed.TotalMilliseconds;
            clock.Restart();
        };

        void Library(BayesianNetwork model, IReadOnlyList<nn.Module<Tensor, Tensor>> layers, Tensor rows, bool inPlace, string variant)
        {
            var lap = Lap(variant);
            using var scope = NewDisposeScope();
            clock.Restart();
            Tensor x = data.Inputs.index_select(0, rows), y = data.Targets.index_select(0, rows);
            lap("gather");
            if (inPlace) foreach (var p in nowParameters) p.grad = null;
            else beforeAdam.zero_grad();
            lap(inPlace ? "free_grads" : "zero_grad");
            var sharing = VariationalLayer.ShareScalesWithinStep();
            try
            {
                Tensor h = x;
                for (int i = 0; i < layers.Count; i++)
                {
                    h = layers[i].forward(h);
                    lap(layers[i] is ReLU ? "relu" : $"layer_{i / 2 + 1}");
                }
                Tensor logLik = model.Likelihood.LogLikelihood(h, y).sum();
                lap("log_likelihood");
                Tensor kl = model.KL();
                lap("kl");
                // ElboObjective.Evaluate's loss with one weight draw and the constant KL schedule, split here to time its parts.
                Tensor loss = -(logLik - (double)rows.shape[0] / n * kl) / rows.shape[0];
                lap("combine");
                loss.to(ScalarType.Float64).item<double>();
                lap("item");
                loss.backward();
                lap("backward");
            }
            finally { sharing.Dispose(); }
            if (inPlace) InPlaceAdamStep.Step(nowAdam);
            else beforeAdam.step();
            lap(inPlace ? "in_place_adam_step" : "adam_step");
            steps[variant]++;
        }
        void Bare(Tensor rows)
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            bare.Step(rows, Lap("bare"));
            steps["bare"]++;
        }

        for (int e = 0; e < epochs; e++)
        {
            using var shuffler = new Generator((ulong)(e + 1), CPU);
            using var order = randperm(n, generator: shuffler);
            for (long s = 0, k = 0; s < n; s += batch, k++)
            {
                Tensor rows = order.narrow(0, s, Math.Min(batch, n - s));
                Action[] turns =
                {
                    () => Library(now, nowLayers, rows, inPlace: true, "library"),
                    () => Library(before, beforeLayers, rows, inPlace: false, "library_before"),
                    () => Bare(rows),
                };
                for (int i = 0; i < turns.Length; i++) turns[(k + i) % turns.Length]();
            }
            options.Progress($"epoch {e + 1} of the phases done");
        }

        // Whole epochs, alternating: the library through the Trainer and the bare loop.
        var fitSeconds = new List<double>();
        var bareSeconds = new List<double>();
        var (fitModel, _) = BbbWorkload.CreateModelAndLayers();
        new Trainer(new TrainerOptions(Epochs: epochs, BatchSize: (int)batch, LearningRate: 1e-3, Seed: 1)).Fit(fitModel, data,
            onEpoch: report => { fitSeconds.Add(report.Seconds); bareSeconds.Add(bare.Epoch()); });

        var result = new Dictionary<string, object>
        {
            ["steps"] = steps["bare"],
            ["fit_epoch_seconds"] = fitSeconds.Select(v => Math.Round(v, 3)).ToArray(),
            ["bare_epoch_seconds"] = bareSeconds.Select(v => Math.Round(v, 3)).ToArray(),
            ["load_average_1min"] = File.Exists("/proc/loadavg")
                ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)
                : -1.0,
        };
        foreach (var (variant, byPhase) in phases)
        {
            result[$"{variant}_median_ms_per_step"] = Math.Round(Median(Enumerable.Range(0, steps[variant])
                .Select(i => byPhase.Values.Sum(l => l[i]))), 3);
            foreach (var (phase, values) in byPhase) result[$"{variant}_median_ms_{phase}"] = Math.Round(Median(values), 3);
        }
        return result;
    }
}
