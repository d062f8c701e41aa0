using BayesDL.Modeling;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// MCMC draws of a <see cref="Modeling.Model"/>: the run on the unconstrained space (<see cref="Run"/>, with its tuned step
/// sizes, divergences and gradient count), the draws of every parameter and deterministic quantity on the constrained scale
/// (<see cref="Draws"/>), and Stan's summary per scalar element (<see cref="Summary"/>). Owns its tensors; dispose it when done.
/// </summary>
public sealed class ModelPosterior : IDisposable
{
    readonly Lazy<IReadOnlyList<NamedSummary>> _summary;

    internal ModelPosterior(Model model, McmcResult run)
    {
        Model = model;
        Run = run;
        int c = run.ChainCount, n = run.DrawsPerChain;
        using var scope = NewDisposeScope();
        IReadOnlyDictionary<string, Tensor> values = model.Constrain(run.Samples.reshape(c * n, run.Dimension));
        Draws = values.ToDictionary(kv => kv.Key,
            kv => kv.Value.reshape(new long[] { c, n }.Concat(kv.Value.shape.Skip(1)).ToArray()).MoveToOuterDisposeScope());
        _summary = new(() => NamedSummary.Table(model, Draws));
    }

    /// <summary>The model sampled.</summary>
    public Model Model { get; }

    /// <summary>The run on the unconstrained space: draws [chains, draws, P], step sizes, divergences, gradient
    /// evaluations, time.</summary>
    public McmcResult Run { get; }

    /// <summary>Every parameter and deterministic quantity on the constrained scale, [chains, draws] ++ its shape.</summary>
    public IReadOnlyDictionary<string, Tensor> Draws { get; }

    /// <summary>One row per scalar element, parameters first (in declaration order), then deterministic quantities.</summary>
    public IReadOnlyList<NamedSummary> Summary => _summary.Value;

    /// <summary>The summary row named <paramref name="name"/> ("tau", "theta[3]"), or an error listing the names.</summary>
    public NamedSummary this[string name] =>
        Summary.FirstOrDefault(s => s.Name == name) ?? throw Validation.Check.Error(nameof(ModelPosterior), nameof(name), $"'{name}'",
            $"one of {string.Join(", ", Summary.Select(s => s.Name))}", "Elements are numbered from 1, as in Stan: theta[1].");

    /// <summary>The largest R-hat over all rows.</summary>
    public double MaxRHat => Summary.Max(s => s.RHat);

    /// <summary>Post-warm-up divergent transitions, over all chains.</summary>
    public int Divergences => Run.Divergences;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor t in Draws.Values) t.Dispose();
        Run.Dispose();
    }
}
