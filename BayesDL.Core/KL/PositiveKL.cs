using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// Closed-form KL between families on the positive half-line, the unit interval and the simplex
/// (formulas as in torch.distributions.kl, written with where() instead of in-place masking so they stay differentiable).
/// </summary>
internal static class PositiveKL
{
    /// <summary>KL(Exp(a) || Exp(b)) = log(a/b) + b/a - 1.</summary>
    internal static Tensor ExponentialExponential(Exponential p, Exponential q)
    {
        using var scope = NewDisposeScope();
        Tensor ratio = q.Rate / p.Rate;
        return (ratio - ratio.log() - 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Gamma(a1, b1) || Gamma(a2, b2)) = a2 log(b1/b2) + lgamma(a2) - lgamma(a1) + (a1 - a2) digamma(a1) + (b2 - b1) a1/b1.
    /// </summary>
    internal static Tensor GammaGamma(Gamma p, Gamma q)
    {
        using var scope = NewDisposeScope();
        Tensor kl = q.Concentration * (p.Rate / q.Rate).log() + q.Concentration.lgamma() - p.Concentration.lgamma()
                    + (p.Concentration - q.Concentration) * p.Concentration.digamma()
                    + (q.Rate - p.Rate) * (p.Concentration / p.Rate);
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Beta(a1, b1) || Beta(a2, b2)) = lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) digamma(a1) + (b1 - b2) digamma(b1)
    /// + (a2 - a1 + b2 - b1) digamma(a1 + b1).
    /// </summary>
    internal static Tensor BetaBeta(Beta p, Beta q)
    {
        using var scope = NewDisposeScope();
        Tensor sp = p.Alpha + p.BetaParameter, sq = q.Alpha + q.BetaParameter;
        Tensor kl = q.LogBetaFunction() - p.LogBetaFunction() + (p.Alpha - q.Alpha) * p.Alpha.digamma()
                    + (p.BetaParameter - q.BetaParameter) * p.BetaParameter.digamma() + (sq - sp) * sp.digamma();
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Dir(a) || Dir(b)) = lgamma(a0) - lgamma(b0) - sum lgamma(a) + sum lgamma(b) + sum (a - b)(digamma(a) - digamma(a0)).
    /// </summary>
    internal static Tensor DirichletDirichlet(Dirichlet p, Dirichlet q)
    {
        using var scope = NewDisposeScope();
        Tensor a = p.Concentration, b = q.Concentration;
        Tensor a0 = a.sum(-1), b0 = b.sum(-1);
        Tensor kl = a0.lgamma() - b0.lgamma() - a.lgamma().sum(-1) + b.lgamma().sum(-1)
                    + ((a - b) * (a.digamma() - a0.unsqueeze(-1).digamma())).sum(-1);
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>KL(U[a1, b1] || U[a2, b2]) = log((b2 - a2)/(b1 - a1)) when [a1, b1] is inside [a2, b2], else +inf.</summary>
    internal static Tensor UniformUniform(Uniform p, Uniform q)
    {
        using var scope = NewDisposeScope();
        Tensor kl = ((q.High - q.Low) / (p.High - p.Low)).log();
        Tensor outside = q.Low.gt(p.Low).logical_or(q.High.lt(p.High));
        return where(outside, full_like(kl, double.PositiveInfinity), kl).MoveToOuterDisposeScope();
    }

    /// <summary>KL(LogNormal || LogNormal) = KL of the underlying Normals (KL is invariant under the bijection exp).</summary>
    internal static Tensor LogNormalLogNormal(LogNormal p, LogNormal q) => UnivariateKL.NormalNormal(p.Underlying, q.Underlying);

    /// <summary>KL(HalfNormal(s1) || HalfNormal(s2)) = (s1/s2)^2/2 - 1/2 - log(s1/s2) (the zero-mean Normal KL).</summary>
    internal static Tensor HalfNormalHalfNormal(HalfNormal p, HalfNormal q)
    {
        using var scope = NewDisposeScope();
        Tensor ratio = p.Scale / q.Scale;
        return (0.5 * (ratio.square() - 1) - ratio.log()).MoveToOuterDisposeScope();
    }
}
