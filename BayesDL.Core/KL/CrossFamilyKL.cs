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
/// The textbook entropies of Gamma and Beta cancel terms of size a log a (1.3e7 at concentration 1e6) down to a result of
/// size log a, so for those p the entropy is taken in the stable form H[p] = H[N(E_p x, Var_p)] - D_p, D_p = KL(p || its
/// moment-matched Normal) &gt;= 0 from <see cref="KLNumerics.GammaNonGaussianity"/> / <see cref="KLNumerics.BetaNonGaussianity"/>
/// (no lgamma or digamma of a large argument is formed). Against a Normal q this gives a sum of non-negative terms,
/// KL(p || N(m, s^2)) = [(s_p / s)^2 - 1]/2 - log(s_p / s) + (E_p x - m)^2 / (2 s^2) + D_p, s_p^2 = Var_p,
/// which keeps full relative precision when q nearly matches p's moments (where the KL is D_p, of order 1/a, or 1/n^2 for a
/// symmetric Beta of total concentration n). The other forms still subtract p's entropy from a cross-entropy whose size is
/// of the same order as the result or whose q-side terms (lgamma of a Gamma or Beta q) are not rewritten, so each of those
/// results is clamped at 0: a KL is provably non-negative, and the clamp removes only round-off of the wrong sign.
/// </summary>
internal static class CrossFamilyKL
{
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>
    /// H[p] for the cross forms: Gamma and Beta as H[N(E_p x, Var_p)] - D_p (see the class remarks), where
    /// H[N(m, v)] = log(2 pi e v)/2; other families' own entropy (no large cancelling terms there).
    /// </summary>
    static Tensor Entropy(Distribution p) => p switch
    {
        Gamma g => GaussianEntropy(g.Variance) - KLNumerics.GammaNonGaussianity(g.Concentration.expand(g.BatchShape)),
        Beta b => GaussianEntropy(b.Variance) - BetaNonGaussianity(b),
        _ => p.Entropy(),
    };

    static Tensor GaussianEntropy(Tensor variance) => 0.5 * (variance.log() + Math.Log(2 * Math.PI * Math.E));

    static Tensor BetaNonGaussianity(Beta p) =>
        KLNumerics.BetaNonGaussianity(p.Alpha.expand(p.BatchShape), p.BetaParameter.expand(p.BatchShape));

    /// <summary>
    /// KL(p || N(m, s^2)) for p = Gamma or Beta, as the Gaussian KL from p's moment-matched Normal plus p's non-Gaussianity:
    /// [(s_p / s)^2 - 1]/2 - log(s_p / s) + (E_p x - m)^2 / (2 s^2) + D_p, every term non-negative (no clamp needed).
    /// </summary>
    static Tensor MomentMatchedToNormal(Distribution p, Normal q, Tensor nonGaussianity)
    {
        Tensor gaussian = KLNumerics.ScaleGap(p.Variance.sqrt(), q.Scale) + (p.Mean - q.Loc).square() / (2 * q.Scale.square());
        return gaussian + nonGaussianity;
    }

    /// <summary>KL(Gamma(a, b) || N(m, s^2)) = Gaussian KL of N(a/b, a/b^2) from q + KL(Gamma || N(a/b, a/b^2))
    /// (see the class remarks).</summary>
    internal static Tensor GammaNormal(Gamma p, Normal q)
    {
        using var scope = NewDisposeScope();
        return MomentMatchedToNormal(p, q, KLNumerics.GammaNonGaussianity(p.Concentration.expand(p.BatchShape))).MoveToOuterDisposeScope();
    }

    /// <summary>KL(Beta(a, b) || N(m, s^2)) = Gaussian KL of Beta's moment-matched Normal from q + its non-Gaussianity
    /// (see the class remarks).</summary>
    internal static Tensor BetaNormal(Beta p, Normal q)
    {
        using var scope = NewDisposeScope();
        return MomentMatchedToNormal(p, q, BetaNonGaussianity(p)).MoveToOuterDisposeScope();
    }

    /// <summary>KL(p || N(m, s^2)) for any p with finite variance.</summary>
    internal static Tensor ToNormal(Distribution p, Normal q)
    {
        using var scope = NewDisposeScope();
        // For a Uniform p, E_p x - m as (l - m) + (h - l)/2: both parts exact when m is near l (Sterbenz), where the
        // rounded midpoint would carry an error of the size of the ulp of l into a narrow interval's KL.
        Tensor offset = p is Uniform u ? (u.Low - q.Loc) + 0.5 * (u.High - u.Low) : p.Mean - q.Loc;
        Tensor kl = -p.Entropy() + HalfLog2Pi + q.Scale.log() + (p.Variance + offset.square()) / (2 * q.Scale.square());
        return kl.clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>KL(p || Exp(l)) for p on the non-negative half-line.</summary>
    internal static Tensor ToExponential(Distribution p, Exponential q)
    {
        using var scope = NewDisposeScope();
        return (-Entropy(p) - q.Rate.log() + q.Rate * p.Mean).clamp_min(0).MoveToOuterDisposeScope();
    }

    internal static Tensor NormalLaplace(Normal p, Laplace q)
    {
        using var scope = NewDisposeScope();
        Tensor d = p.Loc - q.Loc;
        Tensor meanAbs = p.Scale * Math.Sqrt(2 / Math.PI) * (-0.5 * (d / p.Scale).square()).exp() +
            d * (d / (p.Scale * Math.Sqrt(2))).erf();
        Tensor kl = -p.Entropy() + (2 * q.Scale).log() + meanAbs / q.Scale;
        return kl.clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Beta(a, b) || Gamma(c, r)) without lgamma of a large argument, through the Gamma that a Beta with large b
    /// resembles, G = Gamma(a, n), n = a + b (Beta(a, b) -&gt; Gamma(a, n) as b -&gt; inf): since log q is linear in
    /// (log x, x), KL(p || q) = KL(p || G) + KL(G || q) + (a - c)(E_p log x - E_G log x), where
    /// E_p log x - E_G log x = log n - digamma(n) = 1/(2n) - mu'(n) and, with mu the Binet remainder of lgamma,
    /// KL(p || G) = phi(-a/n)/2 + a/(2 n b) + mu(n) - mu(b) - (b - 1)(mu'(n) - mu'(b)), phi(x) = x - log(1 + x).
    /// KL(G || q) is the stabilised same-family form (<see cref="PositiveKL.GammaGamma"/>). Every term stays of the size of
    /// the result where the textbook -H[p] - a log r + lgamma(c) - ... cancels terms of size c log c (1e7 at c = 1e6), and
    /// where p is nearly a Gamma (a &lt;&lt; b), where the KL falls to a/(2 n b). Clamped at 0 against the round-off of the
    /// signed last term.
    /// </summary>
    internal static Tensor BetaGamma(Beta p, Gamma q)
    {
        using var scope = NewDisposeScope();
        Tensor a = p.Alpha, b = p.BetaParameter, n = a + b;
        Tensor x = -a / n;
        Tensor toGamma = 0.5 * KLNumerics.Log1pGap(x, KLNumerics.Log1p(x, b / n)) + a / (2 * n * b)
            + KLNumerics.Binet(n) - KLNumerics.Binet(b) - (b - 1) * (KLNumerics.BinetDerivative(n) - KLNumerics.BinetDerivative(b));
        Tensor gammaToQ = PositiveKL.GammaGamma(new Gamma(a, n, validate: false), q);
        Tensor logGap = 0.5 / n - KLNumerics.BinetDerivative(n);
        return (toGamma + gammaToQ + (a - q.Concentration) * logGap).clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Exp(l) || Gamma(a, b)) = KL(Gamma(1, l) || Gamma(a, b)): Exp(l) is Gamma(1, l), so the stabilised same-family
    /// form (<see cref="PositiveKL.GammaGamma"/>, a sum of non-negative gaps) applies and stays exact as (a, b) nears (1, l).
    /// </summary>
    internal static Tensor ExponentialGamma(Exponential p, Gamma q)
    {
        using var scope = NewDisposeScope();
        var asGamma = new Gamma(ones_like(p.Rate), p.Rate, validate: false);
        return PositiveKL.GammaGamma(asGamma, q).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Beta(a, b) || U[l, h]) = -H[Beta(a, b)] + log(h - l) = KL(Beta(a, b) || Beta(1, 1)) + log1p((h - 1) - l) for
    /// l &lt;= 0, 1 &lt;= h (the Beta(1, 1) density is 1 on [0, 1]): both terms non-negative, the first the stabilised
    /// same-family form, the second from the two non-negative overhangs; +inf where [0, 1] is not inside [l, h].
    /// </summary>
    internal static Tensor BetaUniform(Beta p, Uniform q)
    {
        using var scope = NewDisposeScope();
        Tensor outside = q.Low.gt(0).logical_or(q.High.lt(1));
        Tensor overhang = where(outside, zeros_like(q.Low), (q.High - 1) - q.Low);
        var flat = new Beta(ones_like(p.Alpha), ones_like(p.BetaParameter), validate: false);
        Tensor kl = PositiveKL.BetaBeta(p, flat) + overhang.log1p();
        return InfWhere(outside, kl).MoveToOuterDisposeScope();
    }

    /// <summary>E[log x] + 1 for x ~ U[a, b], a &gt;= 0: (b log b - a log a)/(b - a) (without the -1, so values near 0
    /// keep their digits).</summary>
    static Tensor UniformExpectedLogPlusOne(Uniform p, Tensor low, Tensor high) =>
        (xlogy(high, high) - xlogy(low, low)) / (p.High - p.Low);

    /// <summary>
    /// KL(U[l, h] || Beta(a, b)) for 0 &lt;= l &lt; h &lt;= 1, relative to the flat Beta(1, 1) that U[0, 1] is:
    /// -log(h - l) + KL(Beta(1, 1) || Beta(a, b)) - (a - 1)(E log x + 1) - (b - 1)(E log(1 - x) + 1),
    /// since KL(Beta(1, 1) || Beta(a, b)) = (a - 1) + (b - 1) + log B(a, b) is the cross-entropy at l = 0, h = 1.
    /// The first two terms are non-negative (the second the stabilised same-family form) and the last two vanish with the
    /// gaps l and 1 - h, so the result keeps its digits as p and q near U[0, 1] = Beta(1, 1). +inf where [l, h] leaves [0, 1].
    /// </summary>
    internal static Tensor UniformBeta(Uniform p, Beta q)
    {
        using var scope = NewDisposeScope();
        Tensor inside = p.Low.ge(0).logical_and(p.High.le(1));
        // Clamp into [0, 1] only to keep the masked-out branch finite; those entries are +inf.
        Tensor low = p.Low.clamp(0, 1), high = p.High.clamp(0, 1);
        Tensor eLog = UniformExpectedLogPlusOne(p, low, high);
        Tensor eLog1m = UniformExpectedLogPlusOne(p, 1 - high, 1 - low);
        var flat = new Beta(ones_like(q.Alpha), ones_like(q.BetaParameter), validate: false);
        Tensor kl = -(high - low).log() + PositiveKL.BetaBeta(flat, q) - (q.Alpha - 1) * eLog - (q.BetaParameter - 1) * eLog1m;
        return InfWhere(inside.logical_not(), kl.clamp_min(0)).MoveToOuterDisposeScope();
    }

    internal static Tensor UniformExponential(Uniform p, Exponential q)
    {
        using var scope = NewDisposeScope();
        return InfWhere(p.Low.lt(0), ToExponential(p, q)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(U[l, h] || Gamma(a, b)) for l &gt;= 0 without lgamma(a): with m = (l + h)/2, c = (h - l)/(h + l), r = b m / a and
    /// t = a Var_p / m^2 = a c^2 / 3, writing lgamma(a) through the Binet remainder mu(a) and E[log x] = log m - c^2/6 - e(c)
    /// (e from <see cref="KLNumerics.UniformLogGap"/>) gives
    /// KL = a phi(r - 1) + phi(t - 1)/2 + log(pi e / 6)/2 + mu(a) - c^2/6 + (a - 1) e(c), phi(x) = x - log(1 + x),
    /// whose terms stay of the size of the result (at least 0.17: no Gamma matches a uniform) even for a near 1e14, where the
    /// textbook a log b - lgamma a + (a - 1) E[log x] - b E[x] cancels terms of size 1e15. +inf where l &lt; 0.
    /// </summary>
    internal static Tensor UniformGamma(Uniform p, Gamma q)
    {
        using var scope = NewDisposeScope();
        Tensor negative = p.Low.lt(0);
        Tensor low = where(negative, zeros_like(p.Low), p.Low), high = where(negative, ones_like(p.High), p.High);
        Tensor m = 0.5 * (low + high), c = (high - low) / (high + low);
        Tensor a = q.Concentration, b = q.Rate;
        Tensor r = b * m / a, x = (b * m - a) / a;
        Tensor t = a * c.square() / 3;
        Tensor kl = a * KLNumerics.Log1pGap(x, KLNumerics.Log1p(x, r)) + 0.5 * KLNumerics.Log1pGap(t - 1, t.log())
            + 0.5 * Math.Log(Math.PI * Math.E / 6) + KLNumerics.Binet(a) - c.square() / 6 + (a - 1) * KLNumerics.UniformLogGap(c);
        return InfWhere(negative, kl).MoveToOuterDisposeScope();
    }

    /// <summary>+inf: p has mass where q has none.</summary>
    internal static Tensor Infinite(Distribution p, Distribution q)
    {
        long[] shape = Distribution.BroadcastShapes(p.BatchShape, q.BatchShape)!;
        return full(shape, double.PositiveInfinity, dtype: p.Dtype, device: p.Device);
    }

    static Tensor InfWhere(Tensor condition, Tensor kl) => where(condition, full_like(kl, double.PositiveInfinity), kl);
}
