using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// KL(q(z|x) || p(z)) for a diagonal-Gaussian posterior, per example and latent dimension where it separates:
/// analytic when the pair has a closed form, otherwise the Monte Carlo estimate
/// KL ~ (1/S) sum_s [log q(z_s|x) - log p(z_s)] on the posterior samples the ELBO already drew
/// (unbiased; the same samples keep the estimator's gradient pathwise).
/// </summary>
internal static class LatentKl
{
    /// <summary>
    /// <paramref name="posterior"/> has batch shape [B, D]; <paramref name="samples"/> are its draws, shape [S, B, D].
    /// Returns [B, D] for an analytic, separable KL and [B, 1] for a Monte Carlo one.
    /// </summary>
    public static Tensor PerDimension(Normal posterior, Distribution prior, Tensor samples)
    {
        using var scope = NewDisposeScope();
        if (prior is Normal p)
        {
            // KL(N(m1, s1^2) || N(m2, s2^2)) = log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2.
            Tensor ratio = (posterior.Scale / p.Scale).square();
            Tensor diff = ((posterior.Loc - p.Loc) / p.Scale).square();
            return (0.5 * (ratio + diff - 1 - ratio.log())).expand(posterior.BatchShape).MoveToOuterDisposeScope();
        }
        Tensor logQ = posterior.LogProb(samples).sum(-1);
        Tensor logP = prior.LogProb(samples);
        if (prior.EventShape.Length == 0) logP = logP.sum(-1);
        return (logQ - logP).mean(new long[] { 0 }).unsqueeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary>log p(z) summed over the latent dimensions, for samples of shape [..., D].</summary>
    public static Tensor PriorLogProb(Distribution prior, Tensor z)
    {
        Tensor logP = prior.LogProb(z);
        return prior.EventShape.Length == 0 ? logP.sum(-1) : logP;
    }
}
