using BayesDL.Distributions;
using BayesDL.KL;

namespace BayesDL.Builders;

/// <summary>
/// Declaration-time check that an analytic KL(q || p) exists in the <see cref="KLDivergence"/> registry, so a
/// model asking for the analytic ELBO with, say, a scale-mixture prior fails before training with the pair named
/// (and the registered pairs listed), instead of deep inside the first step.
/// </summary>
public static class KLRequirement
{
    /// <summary>
    /// Empty when the KL of a Bayesian layer fitted with <paramref name="family"/> under <paramref name="prior"/> has a closed form:
    /// mean field pairs N(mu, sigma^2) with the prior element-wise; low and full rank pair their multivariate normal with the
    /// prior over the layer's parameter vector (see Layers.MultivariateBayesLinear.PriorDistribution).
    /// </summary>
    public static IReadOnlyList<BuildError> ForLayer(VariationalFamily family, Layers.PriorSpec prior, int layerIndex, string owner)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        if (family.Kind is VariationalFamily.Family.LowRank or VariationalFamily.Family.FullRank)
        {
            var dtype = TorchSharp.torch.ScalarType.Float64;
            Distribution posterior = family.Kind == VariationalFamily.Family.LowRank
                ? Dist.LowRankMultivariateNormal(TorchSharp.torch.zeros(1, dtype: dtype), TorchSharp.torch.zeros(1, 1, dtype: dtype),
                TorchSharp.torch.ones(1, dtype: dtype))
                : Dist.MultivariateNormalTril(TorchSharp.torch.zeros(1, dtype: dtype), TorchSharp.torch.eye(1, dtype: dtype));
            return Analytic(posterior, Layers.MultivariateBayesLinear.PriorOver(prior, 1, dtype, TorchSharp.torch.CPU), layerIndex, owner);
        }
        var q = Dist.Normal(TorchSharp.torch.zeros(1, dtype: TorchSharp.torch.ScalarType.Float64),
            TorchSharp.torch.ones(1, dtype: TorchSharp.torch.ScalarType.Float64));
        return Analytic(q, prior.Build(TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float64), layerIndex, owner);
    }

    /// <summary>Empty when KL(<paramref name="q"/> || <paramref name="p"/>) is registered, else one UnregisteredKL error for
    /// <paramref name="owner"/>.</summary>
    public static IReadOnlyList<BuildError> Analytic(Distribution q, Distribution p, int layerIndex, string owner)
    {
        if (KLDivergence.IsRegistered(q, p)) return [];
        string pairs = string.Join(", ", KLDivergence.RegisteredPairs.Select(k => k.Name));
        return [new(BuildErrorKind.UnregisteredKL, layerIndex, owner,
            $"{owner}: no analytic KL is registered for the pair ({q.GetType().Name}, {p.GetType().Name}) " +
            $"(posterior q = {q}, prior p = {p}). " +
            "Use a Monte Carlo KL (elbo (monteCarloKL n) in F#), a prior with a closed form, or register the " +
            $"pair. Registered pairs: {pairs}.")];
    }
}
