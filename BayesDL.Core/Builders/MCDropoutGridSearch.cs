using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Metrics;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// MC dropout with its dropout rate p and noise sd σ (precision τ = 1/σ²) chosen on held-out data, as Gal &amp; Ghahramani (2016)
/// ran it on the UCI regression sets, for one or many training sets at once (a data set's splits). Made by
/// <see cref="SequentialBuilder.SearchMCDropout"/>, which holds out part of each training set, trains one model per (set, p) on
/// the rest (all as one replicated fit, <see cref="SequentialBuilder.FitMCDropoutReplicas"/>) and keeps each model's T-draw
/// predictive of its held-out rows. σ does not enter training apart from the length-scale prior's 1/τ, negligible at
/// l = 10⁻² (Gal &amp; Ghahramani's choice), so one fit per p serves every σ: <see cref="Choose(IReadOnlyList{double})"/>
/// scores each (p, σ) by the held-out rows' mixture log-likelihood (1/V) Σ_v log (1/T) Σ_t N(y_v; f_t(x_v), σ²)
/// (<see cref="RegressionScores.MixtureLogLikelihood"/>) and returns the best per set, and <see cref="Refit"/> trains the chosen
/// pairs on the whole training sets. Choose may be called with several σ grids (each scores the same predictives). Only the
/// training sets given are ever seen: pass training rows, never test rows. Dispose it to free the held-out predictives.
/// </summary>
public sealed class MCDropoutGridSearch : IDisposable
{
    const string Who = nameof(SequentialBuilder) + "." + nameof(SequentialBuilder.SearchMCDropout);

    readonly SequentialBuilder _network;
    readonly LabeledData[] _trainingSets;
    readonly ComputePolicy _policy;
    readonly (int Set, double Rate, Tensor Means)[] _scored;
    readonly LabeledData[] _validation;

    /// <summary>The settings the search ran with.</summary>
    public MCDropoutGridSearchOptions Options { get; }

    /// <summary>The number of training sets.</summary>
    public int Count => _trainingSets.Length;

    MCDropoutGridSearch(SequentialBuilder network, LabeledData[] trainingSets, MCDropoutGridSearchOptions options, ComputePolicy policy,
        (int, double, Tensor)[] scored, LabeledData[] validation) =>
        (_network, _trainingSets, Options, _policy, _scored, _validation) = (network, trainingSets, options, policy, scored, validation);

    /// <summary>The grid phase (what <see cref="SequentialBuilder.SearchMCDropout"/> runs).</summary>
    internal static MCDropoutGridSearch Run(SequentialBuilder network, IReadOnlyList<LabeledData> trainingSets,
        MCDropoutGridSearchOptions options, ComputePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(trainingSets);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Check.Argument(trainingSets.Count > 0, Who, nameof(trainingSets), "no training sets", "at least one");
        long seed = options.Fit.Seed;
        var carved = new List<(LabeledData Fit, LabeledData Validation)>();
        var scored = new List<(int, double, Tensor)>();
        try
        {
            for (int i = 0; i < trainingSets.Count; i++)
            {
                long rows = trainingSets[i].Count;
                Check.Argument(rows >= 2, Who, $"trainingSets[{i}]", $"{rows} rows", "at least 2 (some to fit, some to hold out)");
                carved.Add(HoldOut(trainingSets[i], options.ValidationFraction, seed + i));
            }
            var grid = (from i in Enumerable.Range(0, trainingSets.Count)
                        from p in options.DropoutRates
                        select (Set: i, Rate: p)).ToArray();
            var fitted = SequentialBuilder.FitMCDropoutReplicas(
                grid.Select(g => new MCDropoutReplica(Declare(network, g.Rate, 1.0), carved[g.Set].Fit)).ToList(), options.Fit, policy);
            try
            {
                NativeEngine.Seed(seed + 1);
                foreach (var (model, (set, rate)) in fitted.Models.Zip(grid))
                {
                    using var predictive = model.Predict(carved[set].Validation.Inputs, options.Samples);
                    scored.Add((set, rate, predictive.Samples.detach().clone()));
                }
            }
            finally
            {
                foreach (var m in fitted.Models) m.Dispose();
            }
            foreach (var (fit, _) in carved) fit.Dispose();
            return new MCDropoutGridSearch(network, [.. trainingSets], options, policy, [.. scored], [.. carved.Select(c => c.Validation)]);
        }
        catch
        {
            foreach (var (fit, validation) in carved) { fit.Dispose(); validation.Dispose(); }
            foreach (var (_, _, means) in scored) means.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For every training set, the (p, σ) with the highest held-out mixture log-likelihood over the dropout rates and
    /// <paramref name="noiseSds"/> (σ &gt; 0, on the targets' scale; for standardised targets
    /// <see cref="MCDropoutGridSearchOptions.StandardisedNoiseSds"/>). Ties keep the first pair in grid order (rates, then σ).
    /// </summary>
    public IReadOnlyList<MCDropoutChoice> Choose(IReadOnlyList<double> noiseSds) =>
        Choose(Enumerable.Repeat(noiseSds, Count).ToArray());

    /// <summary>As <see cref="Choose(IReadOnlyList{double})"/> with a σ grid of its own per training set (e.g. τ values given on
    /// each split's original scale, converted with that split's target sd).</summary>
    public IReadOnlyList<MCDropoutChoice> Choose(IReadOnlyList<IReadOnlyList<double>> noiseSdsPerSet)
    {
        ArgumentNullException.ThrowIfNull(noiseSdsPerSet);
        Check.Argument(noiseSdsPerSet.Count == Count, nameof(MCDropoutGridSearch) + ".Choose", nameof(noiseSdsPerSet),
            $"{noiseSdsPerSet.Count} grids", $"one per training set ({Count})");
        for (int i = 0; i < Count; i++)
        {
            Check.Argument(noiseSdsPerSet[i] is { Count: > 0 }, nameof(MCDropoutGridSearch) + ".Choose", $"noiseSds[{i}]",
                "an empty grid", "at least one noise sd > 0");
            for (int j = 0; j < noiseSdsPerSet[i].Count; j++)
                Check.Positive(noiseSdsPerSet[i][j], nameof(MCDropoutGridSearch) + ".Choose", $"noiseSds[{i}][{j}]");
        }
        var best = new MCDropoutChoice[Count];
        foreach (var (set, rate, means) in _scored)
            foreach (double sigma in noiseSdsPerSet[set])
            {
                using var scope = NewDisposeScope();
                double ll = RegressionScores.MixtureLogLikelihood(means, full_like(means, sigma * sigma), _validation[set].Targets)
                    .mean().item<double>();
                if (best[set] is null || ll > best[set].ValidationLogLikelihood) best[set] = new MCDropoutChoice(set, rate, sigma, ll);
            }
        return best;
    }

    /// <summary>
    /// Trains each choice's (p, σ) on its whole training set, all as one replicated fit with the search's fit settings and seed
    /// s + 2; the models come back in the choices' order (the caller disposes them). Several choices may name one set (choices
    /// from two σ grids).
    /// </summary>
    public ReplicatedFitResult Refit(IReadOnlyList<MCDropoutChoice> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        Check.Argument(choices.Count > 0, nameof(MCDropoutGridSearch) + ".Refit", nameof(choices), "no choices", "at least one");
        for (int k = 0; k < choices.Count; k++)
            Check.Argument(choices[k] is { TrainingSet: >= 0 } c && c.TrainingSet < Count, nameof(MCDropoutGridSearch) + ".Refit",
                $"choices[{k}].TrainingSet", $"{choices[k]?.TrainingSet}", $"a training set index in [0, {Count - 1}]");
        return SequentialBuilder.FitMCDropoutReplicas(
            choices.Select(c => new MCDropoutReplica(Declare(_network, c.DropoutRate, c.NoiseSd), _trainingSets[c.TrainingSet])).ToList(),
            Options.Fit with { Seed = Options.Fit.Seed + 2 }, _policy);
    }

    /// <summary>
    /// The network as an MC dropout model with rate <paramref name="rate"/> and fixed Gaussian noise sd <paramref name="sigma"/>.
    /// </summary>
    static SequentialBuilder Declare(SequentialBuilder network, double rate, double sigma) =>
        network.WithLikelihood(Likelihoods.Gaussian(sigma)).WithVariational(VariationalFamily.Dropout(rate));

    /// <summary>
    /// A random <paramref name="fraction"/> of the rows (at least one, at most all but one) held out, drawn with a CPU generator
    /// seeded <paramref name="seed"/>; the rest to fit.
    /// </summary>
    static (LabeledData Fit, LabeledData Validation) HoldOut(LabeledData train, double fraction, long seed)
    {
        long n = train.Count, held = Math.Clamp((long)Math.Round(fraction * n), 1, n - 1);
        using var generator = new Generator((ulong)seed, device: CPU);
        using var order = randperm(n, generator: generator, device: CPU).to(train.Inputs.device);
        using var fitRows = order[..(int)(n - held)];
        using var validationRows = order[(int)(n - held)..];
        return (new LabeledData(train.Inputs.index_select(0, fitRows), train.Targets.index_select(0, fitRows)),
                new LabeledData(train.Inputs.index_select(0, validationRows), train.Targets.index_select(0, validationRows)));
    }

    /// <summary>The rows of training set <paramref name="set"/> held out for scoring (owned by the search: do not dispose them).</summary>
    public LabeledData HeldOut(int set)
    {
        Check.Argument(set >= 0 && set < Count, nameof(MCDropoutGridSearch) + ".HeldOut", nameof(set), set.ToString(),
            $"a training set index in [0, {Count - 1}]");
        return _validation[set];
    }

    /// <summary>Tests only: each grid fit's training set, rate and held-out predictive means [T, V, 1].</summary>
    internal IReadOnlyList<(int Set, double Rate, Tensor Means)> HeldOutPredictives => _scored;

    /// <summary>Frees the held-out rows and predictives.</summary>
    public void Dispose()
    {
        foreach (var (_, _, means) in _scored) means.Dispose();
        foreach (var v in _validation) v.Dispose();
    }
}
