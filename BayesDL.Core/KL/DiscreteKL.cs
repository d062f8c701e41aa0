using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// Closed-form KL between discrete distributions (0 log 0 = 0, p log(p/0) = inf), summed over outcomes as the non-negative
/// terms p log(p/q) - p + q = q chi(p/q - 1) (<see cref="KLNumerics.WeightedRatioGap"/>; the added -p + q sum to 0):
/// never negative, exactly 0 at p = q. Each ratio x = p/q - 1 is formed from the parameters' differences when both
/// distributions use the same parameterisation, so nearly equal pairs keep their digits: the textbook log p - log q has an
/// absolute error of about eps |log p|, which is all of a ratio 1e-8 apart for p near 1e-6. When one side is given by
/// probabilities and the other by logits, no exact parameter difference exists: the ratios come from the difference of
/// the log-probabilities, whose error delta (a few eps (1 + |log p| + |log q|)) bounds the KL's relative error by
/// delta sqrt(2 / KL) (about 1e-7 for sides 1e-9 apart); the sum stays non-negative.
/// </summary>
internal static class DiscreteKL
{
    /// <summary>Logit differences up to this size use the expm1 forms below (their log1p arguments stay above -0.4).</summary>
    const double NearLogit = 0.5;

    /// <summary>
    /// KL(Bern(p) || Bern(q)) = p log(p/q) + (1 - p) log((1 - p)/(1 - q)), as two <see cref="KLNumerics.WeightedRatioGap"/>
    /// terms with x1 = p/q - 1 and x0 = (1 - p)/(1 - q) - 1 formed without cancellation:
    /// from probabilities, x1 = (p - q)/q and x0 = (q - p)/(1 - q) (p - q exact when they are close);
    /// from logits, with d = logit p - logit q, x1 = (1 - p) expm1(d) and x0 = p expm1(-d) (sigma(a)/sigma(b) =
    /// 1 + sigma(-a) expm1(a - b)) for |d| &lt;= 1/2, else from the log-probabilities; for mixed parameterisations, from the
    /// log-probabilities.
    /// </summary>
    internal static Tensor BernoulliBernoulli(Bernoulli p, Bernoulli q)
    {
        using var scope = NewDisposeScope();
        Tensor p1 = p.Probs, q1 = q.Probs, p0 = p.Log1mP.exp(), q0 = q.Log1mP.exp();
        Tensor l1 = p.LogP - q.LogP, l0 = p.Log1mP - q.Log1mP;
        Tensor x1, x0;
        if (p.IsLogitParameterised && q.IsLogitParameterised)
        {
            Tensor d = p.Logits - q.Logits;
            Tensor near = d.abs().le(NearLogit);
            Tensor dn = where(near, d, zeros_like(d));
            x1 = where(near, p0 * dn.expm1(), l1.expm1());
            x0 = where(near, p1 * (-dn).expm1(), l0.expm1());
            l1 = where(near, x1.log1p(), l1);
            l0 = where(near, x0.log1p(), l0);
        }
        else if (!p.IsLogitParameterised && !q.IsLogitParameterised)
        {
            Tensor d = p1 - q1;
            // Denominators kept away from 0 where a term is 0 log 0 or infinite anyway (finite gradients in that branch).
            Tensor q1s = where(q1.eq(0), ones_like(q1), q1), q0s = where(q0.eq(0), ones_like(q0), q0);
            x1 = d / q1s;
            x0 = -d / q0s;
            l1 = where(q1.eq(0), l1, KLNumerics.Log1p(x1, p1 / q1s));
            l0 = where(q0.eq(0), l0, KLNumerics.Log1p(x0, p0 / q0s));
        }
        else
        {
            x1 = l1.expm1();
            x0 = l0.expm1();
        }
        return (KLNumerics.WeightedRatioGap(p1, q1, x1, l1) + KLNumerics.WeightedRatioGap(p0, q0, x0, l0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Cat(p) || Cat(q)) = sum_k p_k (log p_k - log q_k), as <see cref="KLNumerics.WeightedRatioGap"/> terms with
    /// x_k = p_k/q_k - 1 formed without cancellation: from unnormalised probabilities a, b (p = a / sum a),
    /// x_k = (beta_k - beta_0)/(1 + beta_0) with beta_k = (a_k - b_k)/b_k and beta_0 = sum_k (a_k - b_k) / sum_k b_k while
    /// those are below 1/2 (else the quotient minus 1); from logits, with d = z_p - z_q centred on its mid-range
    /// (softmax is shift-invariant), log(p_k/q_k) = d_k - log1p(sum_j q_j expm1(d_j)) when every |d_j| &lt;= 1/2, else the
    /// difference of the log-probabilities; for mixed parameterisations, that difference.
    /// </summary>
    internal static Tensor CategoricalCategorical(Categorical p, Categorical q)
    {
        Validation.Check.Argument(p.Categories == q.Categories, nameof(KLDivergence), "q",
            $"{q.Categories} categories for p's {p.Categories}", "the same number of categories as p");
        using var scope = NewDisposeScope();
        long[] shape = Distribution.BroadcastShapes(p.Probs.shape, q.Probs.shape)!;
        Tensor pk = p.Probs.expand(shape), qk = q.Probs.expand(shape);
        Tensor l = p.LogProbs - q.LogProbs;
        Tensor x;
        if (p.IsLogitParameterised && q.IsLogitParameterised)
        {
            Tensor d = (p.Parameters - q.Parameters).expand(shape);
            Tensor centre = 0.5 * (d.amax(new long[] { -1 }, keepdim: true) + d.amin(new long[] { -1 }, keepdim: true));
            Tensor dc = d - centre;
            Tensor near = dc.abs().amax(new long[] { -1 }, keepdim: true).le(NearLogit);
            Tensor dn = where(near, dc, zeros_like(dc));
            Tensor logRatio = dn - (qk * dn.expm1()).sum(-1, keepdim: true).log1p();
            l = where(near, logRatio, l);
            x = l.expm1();
        }
        else if (!p.IsLogitParameterised && !q.IsLogitParameterised)
        {
            Tensor a = p.Parameters.expand(shape), b = q.Parameters.expand(shape);
            Tensor bs = where(b.eq(0), ones_like(b), b);
            Tensor h = a - b;
            Tensor betaK = h / bs, beta0 = h.sum(-1, keepdim: true) / b.sum(-1, keepdim: true);
            Tensor ratio = (a / bs) * (b.sum(-1, keepdim: true) / a.sum(-1, keepdim: true));
            Tensor near = maximum(betaK.abs(), beta0.abs()).lt(0.5);
            x = where(near, (betaK - beta0) / (1 + beta0), ratio - 1);
            l = where(b.eq(0), l, KLNumerics.Log1p(x, ratio));
        }
        else x = l.expm1();
        return KLNumerics.WeightedRatioGap(pk, qk, x, l).sum(-1).MoveToOuterDisposeScope();
    }
}
