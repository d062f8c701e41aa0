using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>Closed-form KL between univariate location-scale families (formulas as in torch.distributions.kl).</summary>
internal static class UnivariateKL
{
    /// <summary>
    /// KL(N(m1, s1^2) || N(m2, s2^2)) = 1/2 [ (s1/s2)^2 + ((m1 - m2)/s2)^2 - 1 ] - log(s1/s2), evaluated as
    /// <see cref="KLNumerics.ScaleGap"/>(s1, s2) + z^2 / 2, z = (m1 - m2)/s2: two non-negative terms, the first computed
    /// from delta = (s1 - s2)/s2 so that scales equal to 1e-8 relative keep full relative precision (the textbook form
    /// returns round-off there, of either sign). No overflow at s1/s2 = 1e12.
    /// </summary>
    internal static Tensor NormalNormal(Normal p, Normal q)
    {
        using var scope = NewDisposeScope();
        Tensor z = (p.Loc - q.Loc) / q.Scale;
        return (KLNumerics.ScaleGap(p.Scale, q.Scale) + 0.5 * z.square()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Laplace(m1, b1) || Laplace(m2, b2)) = log(b2/b1) + |m1 - m2| / b2 + (b1/b2) exp(-|m1 - m2| / b1) - 1, evaluated as
    /// r psi(-t) + (r - 1 - log r) with r = b1/b2, t = |m1 - m2|/b1 and psi(x) = e^x - 1 - x: both terms non-negative
    /// (<see cref="KLNumerics.Expm1Gap"/>, <see cref="KLNumerics.RatioGap"/>), so nearly equal pairs keep their digits.
    /// </summary>
    internal static Tensor LaplaceLaplace(Laplace p, Laplace q)
    {
        using var scope = NewDisposeScope();
        Tensor ratio = p.Scale / q.Scale;
        Tensor t = (p.Loc - q.Loc).abs() / p.Scale;
        return (ratio * KLNumerics.Expm1Gap(-t) + KLNumerics.RatioGap(p.Scale, q.Scale)).MoveToOuterDisposeScope();
    }
}
