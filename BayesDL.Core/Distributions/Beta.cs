using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The beta distribution with concentrations alpha, beta &gt; 0, element-wise, support (0, 1):
/// log p(x) = (alpha - 1) log x + (beta - 1) log(1 - x) - lbeta(alpha, beta), lbeta = lgamma a + lgamma b - lgamma(a + b);
/// mean alpha/(alpha + beta), variance alpha beta / ((alpha + beta)^2 (alpha + beta + 1)),
/// entropy H = lbeta - (alpha - 1) digamma(alpha) - (beta - 1) digamma(beta) + (alpha + beta - 2) digamma(alpha + beta).
/// Reparameterised: x = G1 / (G1 + G2), G1 ~ Gamma(alpha, 1), G2 ~ Gamma(beta, 1), differentiable through libtorch's
/// standard-gamma gradient. Written here: TorchSharp's checks neither parameters nor support.
/// </summary>
public sealed class Beta : Distribution
{
    internal Beta(Tensor alpha, Tensor beta, bool validate)
        : base(BroadcastShape(nameof(Beta), ("alpha", alpha), ("beta", beta)), Array.Empty<long>(), validate)
    {
        if (Validate)
        {
            Check.Positive(alpha, nameof(Beta), "alpha");
            Check.Positive(beta, nameof(Beta), "beta");
        }
        Alpha = alpha;
        BetaParameter = beta;
    }

    /// <summary>The first concentration alpha (&gt; 0), the pseudo-count of successes.</summary>
    public Tensor Alpha { get; }

    /// <summary>The second concentration beta (&gt; 0), the pseudo-count of failures.</summary>
    public Tensor BetaParameter { get; }

    /// <summary>log B(alpha, beta) = lgamma(alpha) + lgamma(beta) - lgamma(alpha + beta).</summary>
    internal Tensor LogBetaFunction() => Alpha.lgamma() + BetaParameter.lgamma() - (Alpha + BetaParameter).lgamma();

    /// <inheritdoc/>
    public override Device Device => Alpha.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Alpha.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        long[] shape = ExtendedShape(sampleShape);
        var info = finfo(Dtype);
        Tensor g1 = _standard_gamma(Alpha.expand(shape), null).clamp_min(info.tiny);
        Tensor g2 = _standard_gamma(BetaParameter.expand(shape), null).clamp_min(info.tiny);
        return (g1 / (g1 + g2)).clamp(info.tiny, 1 - info.eps).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate)
            Check.Satisfies(value, v => v.gt(0).logical_and(v.lt(1)), nameof(Beta), "value", "in the open interval (0, 1) (the support)");
        using var scope = NewDisposeScope();
        Tensor lp = xlogy(Alpha - 1, value) + special.xlog1py(BetaParameter - 1, -value) - LogBetaFunction();
        return lp.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        Tensor total = Alpha + BetaParameter;
        Tensor h = LogBetaFunction() - (Alpha - 1) * Alpha.digamma() - (BetaParameter - 1) * BetaParameter.digamma()
                   + (total - 2) * total.digamma();
        return h.expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => (Alpha / (Alpha + BetaParameter)).expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor Variance
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor total = Alpha + BetaParameter;
            return (Alpha * BetaParameter / (total.square() * (total + 1))).expand(BatchShape).MoveToOuterDisposeScope();
        }
    }
}

public static partial class Dist
{
    /// <summary>Beta(alpha, beta), element-wise: mean alpha/(alpha + beta).</summary>
    public static Beta Beta(Tensor alpha, Tensor beta, bool validate = true) => new(alpha, beta, validate);

    /// <summary>Beta(alpha, beta) with scalar parameters on <paramref name="policy"/> (default policy if null).</summary>
    public static Beta Beta(double alpha, double beta, Engine.ComputePolicy? policy = null)
    {
        policy ??= Engine.ComputePolicy.Default;
        return new(policy.Scalar(alpha), policy.Scalar(beta), validate: true);
    }
}
