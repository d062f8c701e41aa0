using BayesDL.Distributions;
using BayesDL.KL;

namespace BayesDL.Builders;

/// <summary>
/// Declaration-time check that an analytic KL(q || p) exists in the <see cref="KLDivergence"/> registry, so a
/// model asking for the analytic ELBO with, say, a scale-mixture prior fails before training with the pair named
/// (and the registered pairs listed), instead of deep inside the first step.
/// </summary>
public static class KlRequirement
{
    /// <summary>Empty when KL(<paramref name="q"/> || <paramref name="p"/>) is registered, else one UnregisteredKL error for <paramref name="owner"/>.</summary>
    public static IReadOnlyList<BuildError> Analytic(Distribution q, Distribution p, int layerIndex, string owner)
    {
        if (KLDivergence.IsRegistered(q, p)) return [];
        string pairs = string.Join(", ", KLDivergence.RegisteredPairs.Select(k => k.Name));
        return [new(BuildErrorKind.UnregisteredKL, layerIndex, owner,
            $"{owner}: no analytic KL is registered for the pair ({q.GetType().Name}, {p.GetType().Name}) (posterior q = {q}, prior p = {p}). " +
            $"Use a Monte Carlo KL (elbo (monteCarloKL n) in F#), a prior with a closed form, or register the pair. Registered pairs: {pairs}.")];
    }
}
