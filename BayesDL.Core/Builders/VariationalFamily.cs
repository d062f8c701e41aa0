namespace BayesDL.Builders;

/// <summary>
/// The variational family q(w) a model's weights are fitted with:
/// <list type="bullet">
/// <item>MeanField: q(w) = prod_i N(w_i; mu_i, sigma_i^2) (Blundell et al. 2015);</item>
/// <item>LowRank(k): q(w) = N(mu, D + U U^T), U of rank k;</item>
/// <item>FullRank: q(w) = N(mu, L L^T), L lower-triangular (d^2 covariance entries for d weights);</item>
/// <item>Dropout(p): Bernoulli masks on the inputs of every weight layer, kept on at test time (Gal &amp; Ghahramani 2016);</item>
/// <item>ConcreteDropout: dropout with a learned rate per layer (Gal, Hron &amp; Kendall 2017).</item>
/// </list>
/// BayesDL's Bayesian layers are mean field, so LowRank, FullRank and ConcreteDropout are declarable but rejected at
/// validation with the reason (<see cref="BuildErrorKind.UnsupportedFamily"/>).
/// </summary>
public sealed record VariationalFamily(VariationalFamily.Family Kind, int Rank = 0, double Rate = 0.0)
{
    /// <summary>The family kinds.</summary>
    public enum Family { MeanField, LowRank, FullRank, Dropout, ConcreteDropout }

    /// <summary>Fully factorised Gaussian.</summary>
    public static VariationalFamily MeanField { get; } = new(Family.MeanField);

    /// <summary>Gaussian with diagonal plus rank-<paramref name="rank"/> covariance.</summary>
    public static VariationalFamily LowRank(int rank) => new(Family.LowRank, Rank: rank);

    /// <summary>Gaussian with a full covariance.</summary>
    public static VariationalFamily FullRank { get; } = new(Family.FullRank);

    /// <summary>MC dropout with rate <paramref name="p"/>.</summary>
    public static VariationalFamily Dropout(double p) => new(Family.Dropout, Rate: p);

    /// <summary>Concrete dropout (learned rates).</summary>
    public static VariationalFamily ConcreteDropout { get; } = new(Family.ConcreteDropout);

    /// <summary>A readable name, e.g. <c>LowRank(k = 5)</c>.</summary>
    public string Name => Kind switch
    {
        Family.LowRank => $"LowRank(k = {Rank})",
        Family.Dropout => $"Dropout(p = {Rate})",
        _ => Kind.ToString(),
    };

    /// <summary>A parameter-range mistake in the family itself, or null.</summary>
    internal string? Invalid() => Kind switch
    {
        Family.LowRank when Rank < 1 => $"{Name}: the rank k must be >= 1; found {Rank}.",
        Family.Dropout when !(Rate is > 0 and < 1) => $"{Name}: the dropout rate p must be in (0, 1); found {Rate}.",
        _ => null,
    };

    /// <summary>
    /// Layers the family cannot describe. BayesDL's weight layers are deterministic or mean-field Bayesian, so a
    /// low-rank or full-rank family (which would need a joint covariance over a layer's weights) has no layer to
    /// act on; the dropout families act on deterministic weight layers.
    /// </summary>
    internal IEnumerable<BuildError> Misfits(IReadOnlyList<LayerSpec> layers)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer.WeightCount == 0) continue;
            string? problem = Kind switch
            {
                Family.LowRank or Family.FullRank =>
                    "BayesDL's weight layers are deterministic or mean-field Bayesian, none holds a joint covariance over its weights" +
                    (Kind == Family.FullRank ? $" (a full one would have {layer.WeightCount}^2 entries)" : "") +
                    ". Declare meanField with Bayesian layers, or dropout p.",
                Family.ConcreteDropout =>
                    "the core's training objective does not yet add the concrete-dropout regularizer, so the rates would not be learned (Gal, Hron & Kendall 2017). Declare dropout p (MC dropout with a fixed rate).",
                Family.Dropout when layer.IsBayesian =>
                    "a Bayesian layer already carries a weight posterior; dropout acts on deterministic weight layers. Declare meanField.",
                _ => null,
            };
            if (problem is not null)
                yield return new(BuildErrorKind.UnsupportedFamily, i, layer.Name,
                    $"layer {i} '{layer.Name}' ({layer.WeightCount} weights) cannot be fitted with {Name}: {problem}");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
