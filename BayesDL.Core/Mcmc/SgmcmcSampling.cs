using System.Globalization;
using BayesDL.Data;
using BayesDL.Networks;
using BayesDL.Predictive;
using BayesDL.Training;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Stochastic-gradient MCMC over a network's weights (see <see cref="SgmcmcOptions"/> and <see cref="SgmcmcKind"/>): the chains' weights
/// are one parameter theta [C, D] of the network's functional form (<see cref="FunctionalNetwork"/>), and the one training loop
/// (<see cref="Trainer"/>) runs them, the sampler's update (<c>SgmcmcSampler</c>) in place of its optimizer step, its step callback keeping
/// the draws. The C chains share the loop's minibatch order; they differ in their initial weights and their noise.
/// </summary>
public static class SgmcmcSampling
{
    /// <summary>
    /// Samples the posterior of <paramref name="network"/>'s weights under <paramref name="likelihood"/> (no learned parameter) and the
    /// network's priors, on <paramref name="data"/> (on its device and dtype), from <paramref name="initial"/> [C, D] (one row per chain)
    /// or [D] (every chain from the same weights). A sampler whose weights turn NaN or infinite, or whose loss does, throws
    /// <see cref="TrainingDivergedException"/> naming the sampler and the step size. <paramref name="onStep"/> sees every step.
    /// </summary>
    public static SgmcmcPosterior Sample(FunctionalNetwork network, Likelihood likelihood, LabeledData data, Tensor initial,
        SgmcmcOptions? options = null, Action<StepReport>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(likelihood);
        options ??= new SgmcmcOptions();
        options.Validate();
        int chains = options.Chains;
        Check.Argument((initial.dim() == 1 && initial.shape[0] == network.Dimension)
                       || (initial.dim() == 2 && initial.shape[0] == chains && initial.shape[1] == network.Dimension),
            nameof(SgmcmcSampling), nameof(initial), $"shape {Check.Shape(initial.shape)}",
            $"[{network.Dimension}] or [{chains}, {network.Dimension}] (Chains = {chains})");
        Check.Argument(!likelihood.parameters().Any(), nameof(SgmcmcSampling), nameof(likelihood), likelihood.Describe().DisplayName,
            "a likelihood without learned parameters", "Use a fixed sigma or the heteroscedastic Gaussian, or Categorical.");
        var dtype = data.Inputs.is_floating_point() ? data.Inputs.dtype : get_default_dtype();
        Tensor start;
        using (var scope = NewDisposeScope())
            start = (initial.dim() == 1 ? initial.unsqueeze(0).expand(chains, -1) : initial).detach().to(dtype, data.Inputs.device).clone()
                .MoveToOuterDisposeScope();
        using var theta = new Parameter(start);
        start.Dispose();
        long n = data.Count, batch = Math.Min(options.BatchSize, n);
        int batches = (int)((n + batch - 1) / batch);
        var schedule = options.Schedule();
        long total = (long)options.Epochs * batches;
        bool cyclical = options.Cycles > 0;
        bool Explores(long step) => cyclical && schedule!.CyclePosition(step, total) < options.ExplorationFraction;
        int Cycle(long step) => cyclical ? (int)(step / schedule!.CycleLength(total)) : 0;
        using var sampler = new SgmcmcSampler([theta], options, n, batches, Explores);
        var trainer = new Trainer(new TrainerOptions(options.Epochs, options.BatchSize, OptimizerKind.Sgd, options.StepSize, options.Seed,
            Schedule: schedule));
        var store = new SampleStore(chains, network.Dimension);
        long eligible = 0;
        string fit = $"{nameof(SgmcmcSampling)}.{nameof(Sample)} ({sampler.Name})";
        try
        {
            trainer.Run(FunctionalNetworkLoss.Run(fit, network, likelihood, data, theta, sampler.Update), report =>
            {
                long step = report.Step - 1;
                if (report.Epoch > options.BurnInEpochs && !Explores(step) && eligible++ % options.Thinning == options.Thinning - 1)
                    store.Add(theta, Cycle(step));
                onStep?.Invoke(report);
            }, null);
        }
        catch (TrainingDivergedException e) when (!e.Message.StartsWith(sampler.Name, StringComparison.Ordinal))
        {
            throw new TrainingDivergedException(
                $"{sampler.Name} diverged with step size {options.StepSize.ToString("G4", CultureInfo.InvariantCulture)}: {e.Message}",
                e.Step, e.Epoch, e.Loss);
        }
        return new SgmcmcPosterior(network, likelihood, store, options);
    }
}
