using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>Closed-form KL between univariate location-scale families (formulas as in torch.distributions.kl).</summary>
internal static class UnivariateKL
{
    /// <summary>
    /// KL(N(m1, s1^2) || N(m2, s2^2)) = 1/2 [ (s1/s2)^2 + ((m1 - m2)/s2)^2 - 1 ] - log(s1/s2).
    /// The log term uses log(s1/s2) directly (not log of the squared ratio): one division, no overflow at 1e4/1e-4.
    /// </summary>
    internal static Tensor NormalNormal(Normal p, Normal q)
    {
        using var scope = NewDisposeScope();
        Tensor ratio = p.Scale / q.Scale;
        Tensor z = (p.Loc - q.Loc) / q.Scale;
        return (0.5 * (ratio.square() + z.square() - 1) - ratio.log()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Laplace(m1, b1) || Laplace(m2, b2)) = log(b2/b1) + |m1 - m2| / b2 + (b1/b2) exp(-|m1 - m2| / b1) - 1.
    /// </summary>
    internal static Tensor LaplaceLaplace(Laplace p, Laplace q)
    {
        using var scope = NewDisposeScope();
        Tensor ratio = p.Scale / q.Scale;
        Tensor d = (p.Loc - q.Loc).abs();
        return (-ratio.log() + d / q.Scale + ratio * (-d / p.Scale).exp() - 1).MoveToOuterDisposeScope();
    }
}
