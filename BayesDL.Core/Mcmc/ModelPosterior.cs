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

    /// <summary>
    /// Where the divergences happened, for <paramref name="name"/> (a scalar parameter or element, "tau", "theta[3]"): its value
    /// at each <see cref="McmcResult.DivergencePoints"/> (where a divergent trajectory lost the posterior), and at every kept draw
    /// for comparison, both on the constrained scale. In the centred eight-schools model the divergences sit at small tau, the
    /// neck of the funnel that a non-centred parameterisation removes.
    /// </summary>
    public (double[] AtDivergences, double[] Draws) WhereDiverged(string name)
    {
        NamedSummary row = this[name]; // the error lists the names
        int open = row.Name.IndexOf('[');
        string quantity = open < 0 ? row.Name : row.Name[..open];
        int element = 0;
        if (open >= 0)
        {
            long[] shape = Draws[quantity].shape[2..];
            int[] index = row.Name[(open + 1)..^1].Split(',')
                .Select(i => int.Parse(i, System.Globalization.CultureInfo.InvariantCulture) - 1).ToArray();
            for (int k = 0; k < index.Length; k++) element = element * (int)shape[k] + index[k];
        }
        using var scope = NewDisposeScope();
        double[] Element(Tensor values, long rows) => AdaptiveSampler.Host(values.reshape(rows, -1).select(1, element));
        double[] draws = Element(Draws[quantity], (long)Run.ChainCount * Run.DrawsPerChain);
        int count = Run.DivergencePoints.Count;
        if (count == 0) return (Array.Empty<double>(), draws);
        Tensor points = Model.Policy.Tensor(Run.DivergencePoints.SelectMany(p => p).ToArray(), count, Run.Dimension);
        return (Element(Model.Constrain(points)[quantity], count), draws);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor t in Draws.Values) t.Dispose();
        Run.Dispose();
    }
}
