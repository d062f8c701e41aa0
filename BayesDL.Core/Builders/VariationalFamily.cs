using BayesDL.Networks;

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
/// LowRank and FullRank turn every BayesLinear into a <see cref="Layers.MultivariateBayesLinear"/>; ConcreteDropout wraps every
/// deterministic weight layer in a <see cref="Layers.VariationalConcreteDropout"/>. Misfits are
/// <see cref="BuildErrorKind.UnsupportedFamily"/> errors naming the layer and its size.
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
    /// <summary>The rank of the correlated Gaussian over each dense Bayesian layer: k for low rank, 0 for full rank,
    /// null otherwise.</summary>
    internal int? CorrelatedRank => Kind switch { Family.LowRank => Rank, Family.FullRank => 0, _ => null };

    internal string? Invalid() => Kind switch
    {
        Family.LowRank when Rank < 1 => $"{Name}: the rank k must be >= 1; found {Rank}.",
        Family.Dropout when !(Rate is > 0 and < 1) => $"{Name}: the dropout rate p must be in (0, 1); found {Rate}.",
        _ => null,
    };

    /// <summary>
    /// Layers the family cannot describe: low and full rank act on dense Bayesian layers (BayesLinear with a bias; full rank
    /// only up to <see cref="Layers.MultivariateBayesOptions.MaxFullRankParameters"/> parameters, its Cholesky factor has d^2
    /// entries); the dropout families act on deterministic weight layers, and concrete dropout's KL needs the prior N(0, l^-2).
    /// </summary>
    internal IEnumerable<BuildError> Misfits(IReadOnlyList<LayerSpec> layers, Layers.PriorSpec prior)
    {
        if (Kind == Family.ConcreteDropout && !(prior.Family == "Normal" && prior.Parameters[0] == 0.0))
            yield return new(BuildErrorKind.UnsupportedFamily, -1, "model",
                $"model: {Name} has a closed-form KL only for the weight prior N(0, s^2) (prior length-scale l = 1/s, Gal, Hron & " +
                $"Kendall 2017); the model declares {prior}. Declare a zero-mean Normal prior.");
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer.WeightCount == 0) continue;
            long fullEntries = layer.WeightCount * layer.WeightCount;
            string? problem = Kind switch
            {
                Family.LowRank or Family.FullRank when layer.IsBayesian && layer is not BayesLinearSpec =>
                    "correlated posteriors are implemented for dense Bayesian layers (BayesLinear); this layer's posterior stays mean " +
                        "field. Declare meanField, or replace it by a BayesLinear.",
                Family.LowRank or Family.FullRank when layer is BayesLinearSpec { Bias: false } =>
                    "the correlated posterior covers the weights and the bias together; declare the layer with a bias.",
                Family.LowRank when layer.IsBayesian && Rank > layer.WeightCount =>
                    $"the rank k = {Rank} exceeds the layer's {layer.WeightCount} parameters. Use k <= {layer.WeightCount}.",
                Family.FullRank when layer.IsBayesian && layer.WeightCount > Layers.MultivariateBayesOptions.MaxFullRankParameters =>
                    $"a full covariance over its {layer.WeightCount} parameters needs a {layer.WeightCount} x {layer.WeightCount} " +
                        $"Cholesky factor ({fullEntries:N0} entries); " +
                    $"full rank is limited to {Layers.MultivariateBayesOptions.MaxFullRankParameters} parameters per layer. Declare " +
                    "lowRank k (e.g. lowRank 10) or meanField.",
                Family.Dropout or Family.ConcreteDropout when layer.IsBayesian =>
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
