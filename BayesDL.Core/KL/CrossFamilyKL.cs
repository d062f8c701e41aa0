using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// Closed-form KL between different families: the cross pairs torch.distributions.kl registers among BayesDL's families.
/// All follow KL(p || q) = -H[p] - E_p[log q(x)], with E_p[log q] linear in moments of p that have closed forms:
/// <list type="bullet">
/// <item>q = N(m, s^2): E_p[log q] = -1/2 log(2 pi s^2) - (Var_p + (E_p x - m)^2) / (2 s^2).</item>
/// <item>q = Exp(l): E_p[log q] = log l - l E_p x (p on x &gt;= 0).</item>
/// <item>q = Gamma(a, b): E_p[log q] = a log b - lgamma a + (a - 1) E_p[log x] - b E_p x (p on x &gt; 0).</item>
/// <item>q = Laplace(mu, b) with p = N(m, s^2): E|x - mu| = s sqrt(2/pi) exp(-d^2 / (2 s^2)) + d erf(d / (s sqrt 2)), d = m - mu.
/// (The historical torch formula assumed m = mu; this one holds for any locations.)</item>
/// </list>
/// Where p puts mass outside q's support the KL is +inf (e.g. Normal versus Gamma), as in torch.
/// These forms subtract p's entropy from a cross-entropy; at extreme parameters (a Gamma or Beta with concentration near
/// 1e6 against a Normal of nearly its moments) the difference can fall below the round-off of its terms, so each result is
/// clamped at 0: a KL is provably non-negative, and the clamp removes only round-off of the wrong sign.
/// </summary>
internal static class CrossFamilyKL
{
    const double EulerGamma = 0.57721566490153286060;
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>KL(p || N(m, s^2)) for any p with finite variance.</summary>
    internal static Tensor ToNormal(Distribution p, Normal q)
    {
        using var scope = NewDisposeScope();
        Tensor kl = -p.Entropy() + HalfLog2Pi + q.Scale.log() + (p.Variance + (p.Mean - q.Loc).square()) / (2 * q.Scale.square());
        return kl.clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>KL(p || Exp(l)) for p on the non-negative half-line.</summary>
    internal static Tensor ToExponential(Distribution p, Exponential q)
    {
        using var scope = NewDisposeScope();
        return (-p.Entropy() - q.Rate.log() + q.Rate * p.Mean).clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>KL(p || Gamma(a, b)) given E_p[log x].</summary>
    static Tensor ToGamma(Distribution p, Gamma q, Tensor expectedLog)
    {
        Tensor a = q.Concentration, b = q.Rate;
        return (-p.Entropy() - a * b.log() + a.lgamma() - (a - 1) * expectedLog + b * p.Mean).clamp_min(0);
    }

    internal static Tensor NormalLaplace(Normal p, Laplace q)
    {
        using var scope = NewDisposeScope();
        Tensor d = p.Loc - q.Loc;
        Tensor meanAbs = p.Scale * Math.Sqrt(2 / Math.PI) * (-0.5 * (d / p.Scale).square()).exp() + d * (d / (p.Scale * Math.Sqrt(2))).erf();
        Tensor kl = -p.Entropy() + (2 * q.Scale).log() + meanAbs / q.Scale;
        return kl.clamp_min(0).MoveToOuterDisposeScope();
    }

    internal static Tensor BetaGamma(Beta p, Gamma q)
    {
        using var scope = NewDisposeScope();
        Tensor eLog = p.Alpha.digamma() - (p.Alpha + p.BetaParameter).digamma();
        return ToGamma(p, q, eLog).MoveToOuterDisposeScope();
    }

    internal static Tensor ExponentialGamma(Exponential p, Gamma q)
    {
        using var scope = NewDisposeScope();
        return ToGamma(p, q, -EulerGamma - p.Rate.log()).MoveToOuterDisposeScope();
    }

    internal static Tensor BetaUniform(Beta p, Uniform q)
    {
        using var scope = NewDisposeScope();
        Tensor kl = (-p.Entropy() + (q.High - q.Low).log()).clamp_min(0);
        return InfWhere(q.Low.gt(0).logical_or(q.High.lt(1)), kl).MoveToOuterDisposeScope();
    }

    /// <summary>E[log x] for x ~ U[a, b], a &gt;= 0: (b log b - a log a)/(b - a) - 1.</summary>
    static Tensor UniformExpectedLog(Uniform p, Tensor low, Tensor high) =>
        (xlogy(high, high) - xlogy(low, low)) / (p.High - p.Low) - 1;

    internal static Tensor UniformBeta(Uniform p, Beta q)
    {
        using var scope = NewDisposeScope();
        Tensor inside = p.Low.ge(0).logical_and(p.High.le(1));
        // Clamp into [0, 1] only to keep the masked-out branch finite; those entries are +inf.
        Tensor low = p.Low.clamp(0, 1), high = p.High.clamp(0, 1);
        Tensor eLog = UniformExpectedLog(p, low, high);
        Tensor eLog1m = UniformExpectedLog(p, 1 - high, 1 - low);
        Tensor kl = (-p.Entropy() - (q.Alpha - 1) * eLog - (q.BetaParameter - 1) * eLog1m + q.LogBetaFunction()).clamp_min(0);
        return InfWhere(inside.logical_not(), kl).MoveToOuterDisposeScope();
    }

    internal static Tensor UniformExponential(Uniform p, Exponential q)
    {
        using var scope = NewDisposeScope();
        return InfWhere(p.Low.lt(0), ToExponential(p, q)).MoveToOuterDisposeScope();
    }

    internal static Tensor UniformGamma(Uniform p, Gamma q)
    {
        using var scope = NewDisposeScope();
        Tensor low = p.Low.clamp_min(0), high = p.High.clamp_min(0);
        return InfWhere(p.Low.lt(0), ToGamma(p, q, UniformExpectedLog(p, low, high))).MoveToOuterDisposeScope();
    }

    /// <summary>+inf: p has mass where q has none.</summary>
    internal static Tensor Infinite(Distribution p, Distribution q)
    {
        long[] shape = Distribution.BroadcastShapes(p.BatchShape, q.BatchShape)!;
        return full(shape, double.PositiveInfinity, dtype: p.Dtype, device: p.Device);
    }

    static Tensor InfWhere(Tensor condition, Tensor kl) => where(condition, full_like(kl, double.PositiveInfinity), kl);
}
