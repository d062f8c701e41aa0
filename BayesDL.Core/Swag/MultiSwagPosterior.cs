using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Swag;

/// <summary>
/// MultiSWAG (Wilson &amp; Izmailov 2020, "Bayesian Deep Learning and a Probabilistic Perspective of Generalization"): an ensemble of
/// M SWAG posteriors fitted from different initialisations, the predictive the equal-weight mixture
/// p(y* | x*) ≈ (1/M) Σ_m (1/T) Σ_t p(y* | f_θ̃_mt(x*)). Owns its members.
/// </summary>
public sealed class MultiSwagPosterior : IStochasticPredictor, IDisposable
{
    readonly SwagPosterior[] _members;

    internal MultiSwagPosterior(IEnumerable<SwagPosterior> members) => _members = members.ToArray();

    /// <summary>The members' SWAG posteriors.</summary>
    public IReadOnlyList<SwagPosterior> Members => _members;

    /// <summary>
    /// <paramref name="samples"/> predictions in all at <paramref name="inputs"/>, split as evenly as possible over the members (at
    /// least one each), stacked member by member.
    /// </summary>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        Check.Argument(samples >= _members.Length, nameof(MultiSwagPosterior), nameof(samples), samples.ToString(),
            $"at least one draw per member ({_members.Length})", $"Ask for a multiple of {_members.Length}, e.g. {10 * _members.Length}.");
        using var scope = NewDisposeScope();
        int each = samples / _members.Length, extra = samples % _members.Length;
        var parts = _members.Select((m, i) => m.Predict(inputs, each + (i < extra ? 1 : 0))).ToList();
        try
        {
            var kind = parts[0].Kind;
            Tensor samplesAll = cat(parts.Select(p => p.Samples).ToArray(), 0);
            var result = kind == PredictiveKind.Classification
                ? PredictiveSamples.Classification(samplesAll)
                : PredictiveSamples.Regression(samplesAll,
                    parts[0].Variances is null ? null : cat(parts.Select(p => p.Variances!).ToArray(), 0));
            result.Samples.MoveToOuterDisposeScope();
            result.Variances?.MoveToOuterDisposeScope();
            return result;
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var m in _members) m.Dispose();
    }
}
