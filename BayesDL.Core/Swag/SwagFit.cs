using BayesDL.Data;
using BayesDL.Networks;
using BayesDL.Predictive;
using BayesDL.Training;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Swag;

/// <summary>
/// SWAG on a network's functional form (Maddox et al. 2019): the one training loop (<see cref="Trainer"/>) runs SGD on the flat
/// weights theta under the per-example negative log posterior −(1/B) Σ log p(y_i | f_θ(x_i)) − (1/N) log p(θ) (the prior as weight
/// decay) for the burn-in epochs, then on for the collection epochs with a <see cref="SwagCollector"/> on its step callback (see
/// <see cref="SwagOptions"/> for when it collects); the result samples weights into the network.
/// </summary>
public static class SwagFit
{
    /// <summary>
    /// Fits SWAG to <paramref name="network"/> with <paramref name="likelihood"/> (no learned parameter) on <paramref name="data"/>
    /// (on the data's device and dtype), starting from the weights <paramref name="initial"/> [D] (e.g. <c>network.Pack(module)</c> of a
    /// trained module). Throws <see cref="ArgumentException"/> before training when the rank exceeds the snapshots the run would collect,
    /// naming both numbers. <paramref name="onStep"/> sees every step of both phases, after the collector.
    /// </summary>
    public static SwagPosterior Fit(FunctionalNetwork network, Likelihood likelihood, LabeledData data, Tensor initial,
        SwagOptions? options = null, Action<StepReport>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(likelihood);
        options ??= new SwagOptions();
        options.Validate();
        Check.Argument(initial.dim() == 1 && initial.shape[0] == network.Dimension, nameof(SwagFit), nameof(initial),
            $"shape {Check.Shape(initial.shape)}", $"[{network.Dimension}] (one value per weight of the network)");
        Check.Argument(!likelihood.parameters().Any(), nameof(SwagFit), nameof(likelihood), likelihood.Describe().DisplayName,
            "a likelihood without learned parameters", "Use a fixed sigma or the heteroscedastic Gaussian, or Categorical.");
        int batches = (int)((data.Count + Math.Min(options.BatchSize, data.Count) - 1) / Math.Min(options.BatchSize, data.Count));
        options.CheckRank(batches);
        var dtype = data.Inputs.is_floating_point() ? data.Inputs.dtype : get_default_dtype();
        using var theta = new Parameter(initial.detach().to(dtype, data.Inputs.device).unsqueeze(0).clone());
        string fit = $"{nameof(SwagFit)}.{nameof(Fit)}";
        if (options.BurnInEpochs > 0)
        {
            var burnIn = new Trainer(new TrainerOptions(options.BurnInEpochs, options.BatchSize, options.Optimizer, options.LearningRate,
                options.Seed));
            burnIn.Run(FunctionalNetworkLoss.Run(fit + " (burn-in)", network, likelihood, data, theta, null), onStep, null);
        }
        var schedule = options.Schedule(batches);
        var collect = new Trainer(new TrainerOptions(options.Epochs - options.BurnInEpochs, options.BatchSize, options.Optimizer,
            options.LearningRate, options.Seed + 1, Schedule: schedule));
        long total = (long)collect.Options.Epochs * batches, cycle = schedule?.CycleLength(total) ?? 0;
        int perEpoch = Math.Min(options.SnapshotsPerEpoch, batches);
        using var collector = SwagCollector.Create(options.Rank);
        collect.Run(FunctionalNetworkLoss.Run(fit, network, likelihood, data, theta, null), report =>
        {
            bool due = schedule is not null
                ? report.Step % cycle == 0 || report.Step == total
                : (report.BatchIndex + 1) * perEpoch / batches > report.BatchIndex * perEpoch / batches;
            if (due) collector.Collect(report.Parameters);
            onStep?.Invoke(report);
        }, null);
        return new SwagPosterior(network, likelihood, collector.ToGaussian(), options.Seed);
    }
}
