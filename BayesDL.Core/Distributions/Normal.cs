using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The univariate Gaussian N(loc, scale^2), element-wise over a batch:
/// log p(x) = -(x - loc)^2 / (2 scale^2) - log scale - log(2 pi) / 2; H = 1/2 + log(2 pi)/2 + log scale.
/// Sampled by reparameterisation x = loc + scale * eps, eps ~ N(0, 1) (Kingma &amp; Welling 2014).
/// Written here rather than wrapping TorchSharp's, which checks neither parameters nor support.
/// </summary>
public sealed class Normal : LocationScaleDistribution
{
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);
    static readonly Scalar One = 1.0.ToScalar(); // kept alive: a temporary Scalar can be finalized during the native call

    internal Normal(Tensor loc, Tensor scale, bool validate)
        : base(nameof(Normal), loc, scale, BroadcastShape(nameof(Normal), ("loc", loc), ("scale", scale)), validate)
    {
    }

    private protected override Tensor StandardNoise(long[] shape) => randn(shape, dtype: Dtype, device: Device);

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValue(value);
        using var scope = NewDisposeScope();
        return LogProbOfStandardised((value - Loc) / Scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// With the partials d/dx = -(x - mu) / sigma^2, d/dmu = (x - mu) / sigma^2, d/dsigma = ((x - mu)^2 / sigma^2 - 1) / sigma.
    /// The residual is taken as mu - x when the value needs its partial (a prior on a parameter) and as x - mu otherwise (a
    /// likelihood), so that the partial wanted is r / sigma^2 without a negation.
    /// </summary>
    internal override LogProbPartials LogProbWithPartials(Tensor value)
    {
        CheckValue(value);
        using var noGraph = no_grad();
        bool towardsLoc = value.requires_grad;
        Tensor z = (towardsLoc ? Loc - value : value - Loc) / Scale;
        Tensor? residualOverVariance = null;
        Tensor ResidualOverVariance() => residualOverVariance ??= z / Scale;
        return new LogProbPartials(LogProbOfStandardised(z))
            .With(value, towardsLoc ? ResidualOverVariance : () => ResidualOverVariance().neg())
            .With(Loc, towardsLoc ? () => ResidualOverVariance().neg() : ResidualOverVariance)
            .With(Scale, () => addcmul(Scale.reciprocal().neg_(), z, ResidualOverVariance(), One));
    }

    void CheckValue(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Finite(value, nameof(Normal), "value");
    }

    // -(log scale + log(2 pi)/2) - z^2/2 as one fused multiply-add: with a constant scale (most priors) the normaliser
    // records no autograd node, so the log density of a sampled value costs three nodes instead of six.
    Tensor LogProbOfStandardised(Tensor z) => addcmul((Scale.log() + HalfLog2Pi).neg_(), z, z, value: -0.5);

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        return (0.5 + HalfLog2Pi + Scale.log()).expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => Loc.expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor Variance => Scale.square().expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor StdDev => Scale.expand(BatchShape);
}

public static partial class Dist
{
    /// <summary>N(loc, scale^2), element-wise. <paramref name="validate"/>: check scale &gt; 0 and finiteness.</summary>
    public static Normal Normal(Tensor loc, Tensor scale, bool validate = true) => new(loc, scale, validate);

    /// <summary>N(loc, scale^2) with scalar parameters on <paramref name="policy"/> (default policy if null).</summary>
    public static Normal Normal(double loc, double scale, Engine.ComputePolicy? policy = null)
    {
        policy ??= Engine.ComputePolicy.Default;
        return new(policy.Scalar(loc), policy.Scalar(scale), validate: true);
    }
}
