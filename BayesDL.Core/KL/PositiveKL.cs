using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// Closed-form KL between families on the positive half-line, the unit interval and the simplex: the formulas of
/// torch.distributions.kl, evaluated through <see cref="KLNumerics"/> as sums of non-negative terms so that extreme
/// concentrations and nearly equal distributions keep their digits (written with where() so they stay differentiable).
/// </summary>
internal static class PositiveKL
{
    /// <summary>KL(Exp(a) || Exp(b)) = r - 1 - log r, r = b/a: <see cref="KLNumerics.RatioGap"/>
    /// (non-negative, exact 0 at a = b).</summary>
    internal static Tensor ExponentialExponential(Exponential p, Exponential q)
    {
        using var scope = NewDisposeScope();
        return KLNumerics.RatioGap(q.Rate, p.Rate).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Gamma(a1, b1) || Gamma(a2, b2)) = a2 log(b1/b2) + lgamma(a2) - lgamma(a1) + (a1 - a2) digamma(a1) + (b2 - b1) a1/b1,
    /// evaluated without that formula's cancellation (it loses every digit for a ~ 1e6 and nearly equal shapes) as the sum of
    /// two non-negative parts: with x = (a1 b2)/(a2 b1) (the ratio of p's mean to q's, times a2/a2),
    /// KL = a2 phi(x - 1) + D_R(a2, a1), phi(t) = t - log(1 + t) (<see cref="KLNumerics.Log1pGap"/>) and D_R the Bregman
    /// divergence of the Stirling remainder (<see cref="KLNumerics.StirlingRemainderGap"/>). x - 1 is formed as
    /// alpha + beta + alpha beta from alpha = (a1 - a2)/a2, beta = (b2 - b1)/b1 while both are below 1/2, else as x - 1.
    /// </summary>
    internal static Tensor GammaGamma(Gamma p, Gamma q)
    {
        using var scope = NewDisposeScope();
        Tensor a1 = p.Concentration, a2 = q.Concentration, b1 = p.Rate, b2 = q.Rate;
        Tensor alpha = (a1 - a2) / a2, beta = (b2 - b1) / b1;
        Tensor x = (a1 / a2) * (b2 / b1);
        Tensor delta = where(maximum(alpha.abs(), beta.abs()).lt(0.5), alpha + beta + alpha * beta, x - 1);
        Tensor kl = a2 * KLNumerics.Log1pGap(delta, KLNumerics.Log1p(delta, x)) + KLNumerics.StirlingRemainderGap(a1, a2, a2 - a1);
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Beta(a1, b1) || Beta(a2, b2)) = lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) digamma(a1) + (b1 - b2) digamma(b1)
    /// + (a2 - a1 + b2 - b1) digamma(a1 + b1), evaluated as the two-category Dirichlet KL (<see cref="KLNumerics.DirichletKL"/>):
    /// the textbook form loses about six digits at concentrations near 1e4 (as PyTorch's does).
    /// </summary>
    internal static Tensor BetaBeta(Beta p, Beta q)
    {
        using var scope = NewDisposeScope();
        long[] shape = Distribution.BroadcastShapes(p.Alpha.shape, p.BetaParameter.shape, q.Alpha.shape, q.BetaParameter.shape)!;
        Tensor a = stack(new[] { p.Alpha.expand(shape), p.BetaParameter.expand(shape) }, -1);
        Tensor b = stack(new[] { q.Alpha.expand(shape), q.BetaParameter.expand(shape) }, -1);
        return KLNumerics.DirichletKL(a, b).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Dir(a) || Dir(b)) = lgamma(a0) - lgamma(b0) - sum lgamma(a) + sum lgamma(b) + sum (a - b)(digamma(a) - digamma(a0)),
    /// evaluated as b0 KL(b/b0 || a/a0) + sum_k D_R(b_k, a_k) - D_R(b0, a0) (<see cref="KLNumerics.DirichletKL"/>).
    /// </summary>
    internal static Tensor DirichletDirichlet(Dirichlet p, Dirichlet q)
    {
        using var scope = NewDisposeScope();
        Tensor a = p.Concentration, b = q.Concentration;
        long[] shape = Distribution.BroadcastShapes(a.shape, b.shape)!;
        return KLNumerics.DirichletKL(a.expand(shape), b.expand(shape)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(U[a1, b1] || U[a2, b2]) = log((b2 - a2)/(b1 - a1)) when [a1, b1] is inside [a2, b2], else +inf; evaluated as
    /// log1p(((b2 - b1) + (a1 - a2)) / (b1 - a1)), both differences non-negative inside, so nested, nearly equal intervals
    /// keep their digits and the result is never negative.
    /// </summary>
    internal static Tensor UniformUniform(Uniform p, Uniform q)
    {
        using var scope = NewDisposeScope();
        Tensor outside = q.Low.gt(p.Low).logical_or(q.High.lt(p.High));
        Tensor extra = where(outside, zeros_like(q.High), (q.High - p.High) + (p.Low - q.Low));
        Tensor kl = (extra / (p.High - p.Low)).log1p();
        return where(outside, full_like(kl, double.PositiveInfinity), kl).MoveToOuterDisposeScope();
    }

    /// <summary>KL(LogNormal || LogNormal) = KL of the underlying Normals (KL is invariant under the bijection exp).</summary>
    internal static Tensor LogNormalLogNormal(LogNormal p, LogNormal q) => UnivariateKL.NormalNormal(p.Underlying, q.Underlying);

    /// <summary>
    /// KL(HalfNormal(s1) || HalfNormal(s2)) = (s1/s2)^2/2 - 1/2 - log(s1/s2) (the zero-mean Normal KL), by
    /// <see cref="KLNumerics.ScaleGap"/>: non-negative and accurate for nearly equal scales.
    /// </summary>
    internal static Tensor HalfNormalHalfNormal(HalfNormal p, HalfNormal q)
    {
        using var scope = NewDisposeScope();
        return KLNumerics.ScaleGap(p.Scale, q.Scale).MoveToOuterDisposeScope();
    }
}
