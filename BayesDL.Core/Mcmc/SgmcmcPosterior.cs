using BayesDL.Networks;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Draws of a network's weights from stochastic-gradient MCMC (<see cref="SgmcmcSampling"/>), kept in a <see cref="SampleStore"/>, and the
/// network they belong to: predicts like the library's other stochastic predictors, one prediction per kept draw θ_t,
/// p(y* | x*) ≈ (1/T) Σ_t p(y* | f_θt(x*)); <see cref="Diagnostics"/> checks the predictions' convergence across chains or cycles.
/// </summary>
public sealed class SgmcmcPosterior : IStochasticPredictor
{
    internal SgmcmcPosterior(FunctionalNetwork network, Likelihood likelihood, SampleStore store, SgmcmcOptions options)
    {
        Network = network;
        Likelihood = likelihood;
        Store = store;
        Options = options;
    }

    /// <summary>The network, as a function of its weights.</summary>
    public FunctionalNetwork Network { get; }

    /// <summary>How an output becomes a predictive sample.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>The kept draws.</summary>
    public SampleStore Store { get; }

    /// <summary>The settings the draws were made with.</summary>
    public SgmcmcOptions Options { get; }

    /// <summary>All draws, chain by chain: T = chains x draws predictions at <paramref name="inputs"/> [N, ..input].</summary>
    public PredictiveSamples Predict(Tensor inputs) => Predict(inputs, Store.ChainCount * Store.DrawsPerChain);

    /// <summary>
    /// <paramref name="samples"/> predictions from draws evenly spaced over all chains' kept draws (chain by chain); at most
    /// chains x draws.
    /// </summary>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        int total = Store.ChainCount * Store.DrawsPerChain;
        Check.Argument(total > 0, nameof(SgmcmcPosterior), "draws", "no kept draws", "at least one kept draw",
            "Run more epochs after the burn-in, or lower Thinning.");
        Check.Argument(samples >= 1 && samples <= total, nameof(SgmcmcPosterior), nameof(samples), samples.ToString(),
            $"in [1, {total}] (chains x kept draws)", "Ask for fewer predictions or keep more draws.");
        var chosen = Enumerable.Range(0, samples)
            .Select(i => samples == 1 ? 0 : (int)Math.Round((double)i * (total - 1) / (samples - 1)))
            .Select(k => (k / Store.DrawsPerChain, k % Store.DrawsPerChain)).ToList();
        return PredictDraws(chosen, inputs);
    }

    /// <summary>
    /// R-hat and ESS of the predictions at <paramref name="inputs"/> (see <see cref="PredictionDiagnostics"/>): grouped by chain when
    /// there are several, else by cycle when there are several, else the one chain's split halves.
    /// </summary>
    public PredictionDiagnostics Diagnostics(Tensor inputs)
    {
        List<List<(int Chain, int Draw)>> groups;
        string by;
        if (Store.ChainCount > 1)
        {
            groups = Enumerable.Range(0, Store.ChainCount)
                .Select(c => Enumerable.Range(0, Store.DrawsPerChain).Select(d => (c, d)).ToList()).ToList();
            by = "chains";
        }
        else if (Store.Cycles.Distinct().Count() > 1)
        {
            groups = Store.Cycles.Select((cycle, d) => (cycle, d)).GroupBy(e => e.cycle)
                .Select(g => g.Select(e => (0, e.d)).ToList()).ToList();
            int shortest = groups.Min(g => g.Count);
            groups = groups.Select(g => g.Skip(g.Count - shortest).ToList()).ToList(); // the end of each cycle
            by = "cycles";
        }
        else
        {
            groups = [Enumerable.Range(0, Store.DrawsPerChain).Select(d => (0, d)).ToList()];
            by = "one chain (split halves)";
        }
        int perGroup = groups[0].Count;
        Check.Argument(perGroup >= 4, nameof(SgmcmcPosterior), "draws", $"{perGroup} draws per {by}",
            "at least 4 (each is split in halves)",
            "Keep more draws: more epochs after the burn-in, or a smaller Thinning.");
        using var predictive = PredictDraws(groups.SelectMany(g => g).ToList(), inputs);
        return PredictionDiagnostics.Of(predictive.Samples, groups.Count, by);
    }

    PredictiveSamples PredictDraws(IReadOnlyList<(int Chain, int Draw)> draws, Tensor inputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor>();
        for (int start = 0; start < draws.Count; start += 10)
        {
            var part = draws.Skip(start).Take(10).ToList();
            outputs.Add(Network.Forward(Store.ToTensor(part, inputs.dtype, inputs.device), inputs));
        }
        var result = Likelihood.Predictive(cat(outputs, 0));
        result.Samples.MoveToOuterDisposeScope();
        result.Variances?.MoveToOuterDisposeScope();
        return result;
    }
}
