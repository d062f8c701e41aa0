using BayesDL.Distributions;
using BayesDL.KL;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// KL(q(z|x) || p(z)) for a VAE's diagonal-Gaussian posterior, through the KL registry: the closed form when
/// <see cref="KLDivergence.IsRegistered"/> knows the pair (e.g. Normal || Normal: log(s2/s1) + (s1^2 + (m1-m2)^2)/(2 s2^2) - 1/2),
/// otherwise <see cref="KLDivergence.MonteCarlo"/> with reparameterised draws (unbiased, differentiable), e.g. for
/// the scale-mixture prior, which has no closed form. Element-wise priors give one KL per latent dimension, which
/// free bits need; priors with an event shape [D] give one KL per example.
/// </summary>
internal static class LatentKL
{
    /// <summary>
    /// <paramref name="posterior"/> has batch shape [B, D]. Returns [B, D] for an element-wise prior and [B, 1] for a
    /// prior over the whole vector; <paramref name="monteCarloSamples"/> draws when no closed form is registered.
    /// </summary>
    public static Tensor PerDimension(Normal posterior, Distribution prior, int monteCarloSamples)
    {
        using var scope = NewDisposeScope();
        Distribution q = prior.EventShape.Length == 0 ? posterior : Dist.Independent(posterior, 1);
        Tensor kl = KLDivergence.IsRegistered(q, prior)
            ? KLDivergence.Analytic(q, prior)
            : KLDivergence.MonteCarlo(q, prior, monteCarloSamples).Estimate;
        if (prior.EventShape.Length != 0) kl = kl.unsqueeze(-1);
        return kl.expand(posterior.BatchShape[0], kl.shape[^1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(N(m, e^v) || N(0, 1)) = (m^2 + psi(v)) / 2 per element, psi(v) = e^v - 1 - v, from the encoder's log variance v
    /// itself: [B, D]. This is the training step's default case, taken every step. The registry's Normal || Normal form of
    /// the same KL, given sigma = exp(v / 2), records a dozen autograd nodes and reads a flag back to the host (some forty
    /// nodes when a scale lies within 1e-3 of 1, as a collapsed latent dimension's does); this records four. Near v = 0,
    /// e^v - 1 - v keeps relative precision 2 eps / |v| (absolute error below eps |v|); the registry's form, exact for the
    /// sigma it is given, inherits twice that from the rounding of sigma = exp(v / 2).
    /// </summary>
    public static Tensor ToStandardNormal(Tensor loc, Tensor logVariance)
    {
        using Scalar one = 1.0.ToScalar(), half = 0.5.ToScalar();
        return (logVariance.expm1() - logVariance).addcmul_(loc, loc, one).mul_(half);
    }

    /// <summary>log p(z) summed over the latent dimensions, for samples of shape [..., D].</summary>
    public static Tensor PriorLogProb(Distribution prior, Tensor z)
    {
        Tensor logP = prior.LogProb(z);
        return prior.EventShape.Length == 0 ? logP.sum(-1) : logP;
    }
}
