using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// Cancellation-free building blocks for the closed-form KLs. Every KL between members of one exponential family is a
/// Bregman divergence, and the textbook formulas evaluate it as a difference of large, nearly equal terms (lgamma of
/// 1e6 is 1.3e7 while KL(Gamma(1e6, 1) || Gamma(1e6 (1 + 1e-8), 1)) is 5e-11): float64 then keeps no digit of the answer
/// and can even return a negative KL. Here each KL is written as a sum of non-negative "gaps", each computed from the
/// parameter differences (h = a2 - a1, exact by Sterbenz's lemma when a2/a1 is in [1/2, 2]) rather than from the
/// parameters, so nearly equal distributions keep full relative precision and the result is never negative:
/// <list type="bullet">
/// <item><see cref="Log1pGap"/>: phi(x) = x - log(1 + x) &gt;= 0 (the Itakura-Saito / Burg gap of a ratio 1 + x).</item>
/// <item><see cref="EntropyGap"/>: chi(x) = (1 + x) log(1 + x) - x &gt;= 0 (the gap of t log t - t).</item>
/// <item><see cref="Expm1Gap"/>: psi(x) = e^x - 1 - x &gt;= 0.</item>
/// <item><see cref="StirlingRemainderGap"/>: the Bregman divergence of the Stirling remainder of lgamma.</item>
/// </list>
/// Below |x| = 1e-3 each gap is its Taylor series (truncation below 1e-18 relative); above it the direct form loses at
/// most a factor 2/|x| &lt;= 2000 of float64's 2.2e-16, i.e. stays within 5e-13 relative. Branches are selected with
/// where() on sanitised inputs, so gradients stay finite in the branch that is not taken.
/// </summary>
internal static class KLNumerics
{
    /// <summary>|x| below which the gaps are evaluated by their Taylor series.</summary>
    const double SeriesBound = 1e-3;

    /// <summary>
    /// Arguments of lgamma are shifted up by n = ceil(Shift - min(a1, a2)) (0 when both are already above it) before the
    /// Stirling series with <see cref="StirlingTerms"/> terms is used: its truncation error then contributes below 1e-15
    /// relative to the divergence (the first omitted term, B_16 / (16 * 15) x^-15, has a Bregman gap below 1e-15 of the
    /// leading one at x &gt;= 12).
    /// </summary>
    const int Shift = 12;

    /// <summary>c_k = B_2k / (2k (2k - 1)), k = 1..7: lgamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + sum_k c_k
    /// x^(1 - 2k) + O(x^-15).</summary>
    static readonly double[] StirlingTerms = { 1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360360, 1.0 / 156 };

    /// <summary>
    /// For m = 2k - 1, the coefficients p_i = m C(m, i + 1) - C(m, i + 2) (all positive) of
    /// f_m(u) = (1 + u)^-m - 1 + m u = u^2 (p_0 + p_1 u + ... + p_(m-1) u^(m-1)) / (1 + u)^m.
    /// </summary>
    static readonly double[][] GapPolynomials = StirlingTerms.Select((_, k) =>
    {
        int m = 2 * k + 1;
        return Enumerable.Range(0, m).Select(i => m * Binomial(m, i + 1) - Binomial(m, i + 2)).ToArray();
    }).ToArray();

    static double Binomial(int n, int k)
    {
        if (k < 0 || k > n) return 0;
        double c = 1;
        for (int i = 1; i <= k; i++) c = c * (n - k + i) / i;
        return Math.Round(c);
    }

    /// <summary>c_0 + x (c_1 + x (c_2 + ...)) by Horner's rule.</summary>
    static Tensor Horner(Tensor x, IReadOnlyList<double> c)
    {
        Tensor acc = c[^1] * ones_like(x);
        for (int i = c.Count - 2; i >= 0; i--) acc = acc * x + c[i];
        return acc;
    }

    static Tensor Zero(Tensor like) => zeros_like(like);

    /// <summary>
    /// log(1 + x) where <paramref name="onePlusX"/> is the same number computed as a quotient: log1p(x) while
    /// x &gt; -1/2 (where x carries full relative precision), log(onePlusX) below, where x = -1 + tiny has lost the
    /// digits of the tiny part and the quotient has not.
    /// </summary>
    internal static Tensor Log1p(Tensor x, Tensor onePlusX)
    {
        Tensor low = x.le(-0.5);
        Tensor nearX = where(low, Zero(x), x);
        Tensor ratio = where(low, onePlusX, ones_like(onePlusX));
        return where(low, ratio.log(), nearX.log1p());
    }

    /// <summary>phi(x) = x - log(1 + x) &gt;= 0 given L = log(1 + x); series x^2 (1/2 - x/3 + x^2/4 - ...) for |x| &lt; 1e-3.</summary>
    internal static Tensor Log1pGap(Tensor x, Tensor log1pX)
    {
        Tensor small = x.abs().lt(SeriesBound);
        Tensor s = where(small, x, Zero(x));
        Tensor series = s.square() * Horner(s, new[] { 1.0 / 2, -1.0 / 3, 1.0 / 4, -1.0 / 5, 1.0 / 6, -1.0 / 7 });
        Tensor l = where(small, Zero(log1pX), log1pX);
        return where(small, series, x - l);
    }

    /// <summary>The series of chi(x) = (1 + x) log(1 + x) - x = sum_{n&gt;=2} (-1)^n x^n / (n (n - 1)), for |x| &lt; 1e-3.</summary>
    static Tensor EntropyGapSeries(Tensor s) =>
        s.square() * Horner(s, new[] { 1.0 / 2, -1.0 / 6, 1.0 / 12, -1.0 / 20, 1.0 / 30, -1.0 / 42 });

    /// <summary>chi(x) = (1 + x) log(1 + x) - x &gt;= 0 given L = log(1 + x) (x &gt; -1).</summary>
    internal static Tensor EntropyGap(Tensor x, Tensor log1pX)
    {
        Tensor small = x.abs().lt(SeriesBound);
        Tensor s = where(small, x, Zero(x));
        Tensor l = where(small, Zero(log1pX), log1pX);
        return where(small, EntropyGapSeries(s), (1 + x) * l - x);
    }

    /// <summary>psi(x) = e^x - 1 - x &gt;= 0; series x^2 (1/2 + x/6 + x^2/24 + ...) for |x| &lt; 1e-3.</summary>
    internal static Tensor Expm1Gap(Tensor x)
    {
        Tensor small = x.abs().lt(SeriesBound);
        Tensor s = where(small, x, Zero(x));
        Tensor series = s.square() * Horner(s, new[] { 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040 });
        Tensor d = where(small, Zero(x), x);
        return where(small, series, d.expm1() - d);
    }

    /// <summary>|x| below which <see cref="WeightedRatioGap"/> uses the series (truncation below 4e-14 relative there).</summary>
    const double RatioSeriesBound = 1e-2;

    /// <summary>
    /// p log(p/q) - p + q = q chi(x) &gt;= 0 for weights p, q &gt;= 0 given x = p/q - 1 and L = log(1 + x), both formed by the
    /// caller from parameter differences (so a ratio 1e-8 from 1 keeps its digits): the series of chi in x for |x| &lt; 1e-2,
    /// the direct form p L - p + q above (which then loses at most 2 eps / 5e-5 &lt; 1e-11 relative); q where p = 0
    /// (0 log 0 = 0) and +inf where q = 0 &lt; p (L = +inf). Summed over outcomes it is a discrete KL.
    /// </summary>
    internal static Tensor WeightedRatioGap(Tensor p, Tensor q, Tensor x, Tensor logRatio)
    {
        Tensor zeroP = p.eq(0);
        Tensor small = x.abs().lt(RatioSeriesBound).logical_and(zeroP.logical_not());
        Tensor xs = where(small, x, Zero(x));
        Tensor l = where(small.logical_or(zeroP), Zero(logRatio), logRatio);
        Tensor term = where(small, q * EntropyGapSeries(xs), p * l - p + q);
        return where(zeroP, q.expand_as(term), term);
    }

    /// <summary>
    /// <paramref name="textbook"/> (a few-operation form in r = num / den) where r is at least 1e-3 away from 1 (there
    /// r - 1 - log r and (r^2 - 1)/2 - log r are at least ~5e-7 and the textbook forms lose at most 2 eps / 5e-7 &lt; 1e-9
    /// relative), and <paramref name="stable"/>(num, den) on the other elements only (masked_select, masked_scatter): the
    /// series is paid for the near-one elements, not for all. One read-back tells whether there are any; in Bayes by
    /// Backprop, where posterior and prior scales differ, there are none and the textbook form is all that runs.
    /// </summary>
    static Tensor NearOneCorrected(Tensor r, Tensor textbook, Tensor num, Tensor den, Func<Tensor, Tensor, Tensor> stable)
    {
        Tensor near;
        using (no_grad()) near = (r - 1).abs().lt(SeriesBound);
        if (r.numel() == 0 || !near.any().item<bool>()) return textbook;
        Tensor n = num.expand_as(r).masked_select(near), d = den.expand_as(r).masked_select(near);
        return textbook.masked_scatter(near, stable(n, d));
    }

    /// <summary>
    /// (r - 1) - log r &gt;= 0 for r = num / den, from delta = (num - den) / den (the subtraction exact when num/den is
    /// in [1/2, 2]): phi(delta). KL(Exp(a) || Exp(b)) is this with r = b / a.
    /// </summary>
    internal static Tensor RatioGap(Tensor num, Tensor den)
    {
        Tensor r = num / den;
        return NearOneCorrected(r, r - 1 - r.log(), num, den, (n, d) =>
        {
            Tensor delta = (n - d) / d;
            return Log1pGap(delta, Log1p(delta, n / d));
        });
    }

    /// <summary>
    /// (r^2 - 1)/2 - log r &gt;= 0 for r = s1 / s2 (the scale part of the Gaussian KL): phi(x)/2 with
    /// x = r^2 - 1 = delta (2 + delta), delta = (s1 - s2)/s2, and log(1 + x) = 2 log(1 + delta).
    /// </summary>
    internal static Tensor ScaleGap(Tensor s1, Tensor s2)
    {
        Tensor r = s1 / s2;
        return NearOneCorrected(r, 0.5 * (r.square() - 1) - r.log(), s1, s2, (n, d) =>
        {
            Tensor delta = (n - d) / d;
            return 0.5 * Log1pGap(delta * (2 + delta), 2 * Log1p(delta, n / d));
        });
    }

    /// <summary>
    /// The Bregman divergence of the Stirling remainder R(x) = lgamma(x) - (x log x - x):
    /// D_R(a2, a1) = R(a2) - R(a1) - R'(a1) (a2 - a1) &gt;= 0 (R is convex: R'' = trigamma(x) - 1/x &gt; 0), given
    /// h = a2 - a1 computed by the caller as exactly as it can. It is what remains of the lgamma divergence
    /// D(a2, a1) = lgamma(a2) - lgamma(a1) - digamma(a1) h once the part of x log x - x, a1 chi(h / a1), is taken out:
    /// of size h^2 / (4 a^2) for large a where lgamma itself is of size a log a.
    /// <para>
    /// Computed without forming lgamma: with n = ceil(12 - min(a1, a2)) shifts (0 for arguments above 12), the recurrence
    /// lgamma(x) = lgamma(x + n) - sum_{j&lt;n} log(x + j) gives
    /// D_R(a2, a1) = sum_{j&lt;n} phi(h / (a1 + j)) + [(a1 + n) chi(h / (a1 + n)) - a1 chi(h / a1)] + D_R(a2 + n, a1 + n),
    /// and at arguments x, x + h above 12 the Stirling series gives, with u = h / x,
    /// D_R(x + h, x) = phi(u)/2 + sum_k c_k x^(1-2k) f_(2k-1)(u), f_m(u) = (1 + u)^-m - 1 + m u,
    /// where f_m is evaluated as u^2 P_m(u) / (1 + u)^m (P_m with positive coefficients) for |u| &lt;= 1/2 and
    /// directly beyond. Every piece is a difference-free function of h, so relative precision survives h / a ~ 1e-8.
    /// </para>
    /// </summary>
    internal static Tensor StirlingRemainderGap(Tensor a1, Tensor a2, Tensor h)
    {
        Tensor m = minimum(a1, a2);
        Tensor total = Zero(h);
        Tensor shift = Zero(m);
        // Shifts are needed only up to the smallest argument's: one read-back saves the work where all are large.
        double smallest;
        using (no_grad()) smallest = m.numel() == 0 ? Shift : m.min().to(ScalarType.Float64).item<double>();
        int shifts = (int)Math.Clamp(Math.Ceiling(Shift - smallest), 0, Shift);
        for (int j = 0; j < shifts; j++)
        {
            Tensor active = (m + j).lt(Shift);
            Tensor den = a1 + j;
            Tensor u = h / den;
            Tensor term = Log1pGap(u, Log1p(u, (a2 + j) / den));
            total = total + where(active, term, Zero(term));
            shift = shift + active.to_type(m.dtype);
        }
        Tensor x1 = a1 + shift, x2 = a2 + shift;
        Tensor us = h / x1;
        Tensor ls = Log1p(us, x2 / x1);
        if (shifts > 0)
        {
            // Zero (both products identical) where no shift was needed.
            Tensor u0 = h / a1;
            total = total + x1 * EntropyGap(us, ls) - a1 * EntropyGap(u0, Log1p(u0, a2 / a1));
        }
        Tensor stirling = 0.5 * Log1pGap(us, ls);
        Tensor near = us.abs().le(0.5);
        Tensor un = where(near, us, Zero(us));
        Tensor ratio = where(near, ones_like(x2), x2 / x1);
        for (int k = 0; k < StirlingTerms.Length; k++)
        {
            int power = 2 * k + 1;
            Tensor polynomial = un.square() * Horner(un, GapPolynomials[k]) / (1 + un).pow(power);
            Tensor direct = ratio.pow(-power) - 1 + power * where(near, Zero(us), us);
            stirling = stirling + StirlingTerms[k] * x1.pow(-power) * where(near, polynomial, direct);
        }
        return total + stirling;
    }

    /// <summary>
    /// The Binet remainder mu(x) = lgamma(x) - (x - 1/2) log x + x - log(2 pi)/2 differentiated: mu'(x) = digamma(x) - log x + 1/(2x).
    /// For x &gt;= 12 its Stirling series mu'(x) = sum_k c_k (1 - 2k) x^(-2k) (no lgamma or digamma of size log x to cancel);
    /// below, the direct form, whose terms are of the size of mu' itself times at most 12.
    /// </summary>
    internal static Tensor BinetDerivative(Tensor x)
    {
        Tensor large = x.ge(Shift);
        Tensor xs = where(large, x, full_like(x, Shift)), xd = where(large, ones_like(x), x);
        Tensor series = Zero(x);
        for (int k = StirlingTerms.Length; k >= 1; k--)
            series = series + StirlingTerms[k - 1] * (1 - 2 * k) * xs.pow(-2 * k);
        return where(large, series, xd.digamma() - xd.log() + 0.5 / xd);
    }

    /// <summary>
    /// The Binet remainder mu(x) = lgamma(x) - (x - 1/2) log x + x - log(2 pi)/2 &gt; 0: for x &gt;= 12 its Stirling series
    /// sum_k c_k x^(1 - 2k) (of size 1/(12 x), with no lgamma of size x log x to cancel); below, the direct form.
    /// </summary>
    internal static Tensor Binet(Tensor x)
    {
        Tensor large = x.ge(Shift);
        Tensor xs = where(large, x, full_like(x, Shift)), xd = where(large, ones_like(x), x);
        Tensor series = Zero(x);
        for (int k = StirlingTerms.Length; k >= 1; k--)
            series = series + StirlingTerms[k - 1] * xs.pow(1 - 2 * k);
        return where(large, series, xd.lgamma() - (xd - 0.5) * xd.log() + xd - 0.5 * Math.Log(2 * Math.PI));
    }

    /// <summary>
    /// For u ~ U(-1, 1) and 0 &lt; c &lt;= 1: -E[log(1 + c u)] - c^2/6 = sum_(k&gt;=2) c^(2k) / (2k (2k + 1)) &gt;= 0, the part of
    /// log E[x] - E[log x] of x ~ U[m (1 - c), m (1 + c)] beyond its leading Var/(2 m^2) = c^2/6. Series (to c^20) below
    /// c = 0.1; above, 1 - [(1 + c) log(1 + c) - (1 - c) log(1 - c)]/(2c) - c^2/6, which loses at most a factor 1/c^2 = 100.
    /// </summary>
    internal static Tensor UniformLogGap(Tensor c)
    {
        Tensor small = c.lt(0.1);
        Tensor cs = where(small, c, Zero(c)), cd = where(small, ones_like(c), c);
        Tensor c2 = cs.square();
        Tensor series = c2.square() * Horner(c2, Enumerable.Range(2, 9).Select(k => 1.0 / (2 * k * (2 * k + 1))).ToArray());
        Tensor direct = 1 - ((1 + cd) * cd.log1p() - xlogy(1 - cd, 1 - cd)) / (2 * cd) - cd.square() / 6;
        return where(small, series, direct);
    }

    /// <summary>
    /// g(x) = 1/(2x) - mu(x) + (x - 1) mu'(x) - 1/(3x) (mu the Binet remainder of lgamma), the part of
    /// KL(Gamma(x, .) || its moment-matched Normal) beyond its leading 1/(3x). For x &gt;= 12 the Stirling series
    /// g(x) = 1/(12 x^2) + sum_(k&gt;=2) c_k ((2k - 1) x^(-2k) - 2k x^(1-2k)), of size 1/(12 x^2); below, the direct form.
    /// </summary>
    static Tensor NonGaussianityRemainder(Tensor x)
    {
        Tensor large = x.ge(Shift);
        Tensor xs = where(large, x, full_like(x, Shift)), xd = where(large, ones_like(x), x);
        Tensor series = Zero(x);
        for (int k = StirlingTerms.Length; k >= 2; k--)
            series = series + StirlingTerms[k - 1] * ((2 * k - 1) * xs.pow(-2 * k) - 2 * k * xs.pow(1 - 2 * k));
        series = series + 1.0 / 12 / xs.square();
        Tensor mu = xd.lgamma() - (xd - 0.5) * xd.log() + xd - 0.5 * Math.Log(2 * Math.PI);
        Tensor direct = 1.0 / 6 / xd - mu + (xd - 1) * BinetDerivative(xd);
        return where(large, series, direct);
    }

    /// <summary>
    /// KL(Gamma(a, b) || N(a/b, a/b^2)) = H[N] - H[Gamma] = 1/(2a) - mu(a) + (a - 1) mu'(a) = 1/(3a) + g(a) &gt;= 0
    /// (independent of the rate b), from H[Gamma(a, b)] = a - log b + lgamma a + (1 - a) digamma a with lgamma and digamma
    /// written through the Binet remainder mu: the terms of size a log a that the textbook entropy cancels never appear.
    /// Of size 1/(3a) for large a.
    /// </summary>
    internal static Tensor GammaNonGaussianity(Tensor a) => 1.0 / 3 / a + NonGaussianityRemainder(a);

    /// <summary>
    /// KL(Beta(a, b) || N(m, v)) with m = a/n, v = a b / (n^2 (n + 1)), n = a + b: the same expansion of
    /// H[Beta] = log B(a, b) - (a - 1) digamma a - (b - 1) digamma b + (n - 2) digamma n gives
    /// (a - b)^2 / (3 a b n) + g(a) + g(b) - g(n) + phi(1/n)/2 + mu'(n) &gt;= 0,
    /// where the leading orders 1/(3a) + 1/(3b) - 4/(3n) are combined exactly into the first term (they cancel for a = b,
    /// where the divergence is of order 1/n^2), phi(x) = x - log(1 + x), and g, mu' are as in <see cref="GammaNonGaussianity"/>.
    /// </summary>
    internal static Tensor BetaNonGaussianity(Tensor a, Tensor b)
    {
        Tensor n = a + b;
        Tensor inverse = 1 / n;
        return (a - b).square() / (3 * a * b * n) + NonGaussianityRemainder(a) + NonGaussianityRemainder(b)
            - NonGaussianityRemainder(n) + 0.5 * Log1pGap(inverse, inverse.log1p()) + BinetDerivative(n);
    }

    /// <summary>
    /// KL(Dir(a) || Dir(b)) along the last dimension, as the sum of two non-negative parts and a remainder gap:
    /// with the lgamma divergence D split as D_F + D_R (F(x) = x log x - x),
    /// KL = sum_k D(b_k, a_k) - D(b_0, a_0) = b_0 KL(b / b_0 || a / a_0) + sum_k D_R(b_k, a_k) - D_R(b_0, a_0),
    /// where the categorical KL of the proportions is sum_k w_k chi(x_k), w_k = a_k b_0 / a_0, 1 + x_k = (b_k / a_k)(a_0 / b_0),
    /// and x_k = (beta_k - beta_0) / (1 + beta_0) from the relative differences beta_k = (b_k - a_k)/a_k and
    /// beta_0 = sum_k (b_k - a_k) / a_0 while those are below 1/2 (else the quotient minus 1).
    /// Beta(a, b) is the Dirichlet on two categories.
    /// </summary>
    internal static Tensor DirichletKL(Tensor a, Tensor b)
    {
        Tensor h = b - a;
        Tensor a0 = a.sum(-1, keepdim: true), b0 = b.sum(-1, keepdim: true), h0 = h.sum(-1, keepdim: true);
        Tensor betaK = h / a, beta0 = h0 / a0;
        Tensor nearK = maximum(betaK.abs(), beta0.abs()).lt(0.5);
        Tensor ratio = (b / a) * (a0 / b0);
        Tensor x = where(nearK, (betaK - beta0) / (1 + beta0), ratio - 1);
        Tensor proportions = (a * b0 / a0 * EntropyGap(x, Log1p(x, ratio))).sum(-1);
        Tensor remainders = StirlingRemainderGap(a, b, h).sum(-1) - StirlingRemainderGap(a0, b0, h0).squeeze(-1);
        return proportions + remainders;
    }
}
