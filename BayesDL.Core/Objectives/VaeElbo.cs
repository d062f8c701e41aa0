using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// Combines a reconstruction term and a KL term into the VAE objective of Kingma &amp; Welling (2014),
/// ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) &lt;= log p(x), with the beta, warm-up and free-bits
/// weightings of <see cref="VaeElboOptions"/>.
/// </summary>
public static class VaeElbo
{
    /// <summary>
    /// <paramref name="reconstruction"/>: E_q[log p(x_b|z)] per example, shape [B];
    /// <paramref name="klParts"/>: KL per example and latent dimension, shape [B, J] (J = 1 when the KL is not
    /// separable, e.g. a Monte Carlo KL against a mixture prior); <paramref name="step"/>: the training step for warm-up.
    /// </summary>
    public static VaeElboTerms Compute(Tensor reconstruction, Tensor klParts, VaeElboOptions? options = null, long step = 0)
    {
        options ??= new VaeElboOptions();
        Check.Argument(reconstruction.dim() == 1, nameof(VaeElbo), "reconstruction",
            $"shape {Check.Shape(reconstruction.shape)}", "shape [B]");
        Check.Argument(klParts.dim() == 2 && klParts.shape[0] == reconstruction.shape[0], nameof(VaeElbo), "klParts",
            $"shape {Check.Shape(klParts.shape)}", $"shape [{reconstruction.shape[0]}, J]");
        double weight = options.KLWeight(step);
        using var scope = NewDisposeScope();
        Tensor kl = klParts.sum(-1);
        Tensor elbo = reconstruction - kl;
        // Fewest ops for the common cases (this runs every training step): -mean(ELBO) when beta_t = 1, else
        // mean(beta_t KL - reconstruction), both equal to -mean(reconstruction) + beta_t mean(KL).
        Tensor loss = options.FreeBitsPerDimension > 0
            ? reconstruction.mean().neg() + weight * klParts.mean(new long[] { 0 }).clamp_min(options.FreeBitsPerDimension).sum()
            : weight == 1.0 ? elbo.mean().neg() : (weight * kl - reconstruction).mean();
        return new VaeElboTerms(loss.MoveToOuterDisposeScope(), elbo.MoveToOuterDisposeScope(),
            reconstruction.alias().MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope(), weight);
    }
}
