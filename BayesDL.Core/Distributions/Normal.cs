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

    internal Normal(Tensor loc, Tensor scale, bool validate)
        : base(nameof(Normal), loc, scale, BroadcastShape(nameof(Normal), ("loc", loc), ("scale", scale)), validate)
    {
    }

    private protected override Tensor StandardNoise(long[] shape) => randn(shape, dtype: Dtype, device: Device);

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Finite(value, nameof(Normal), "value");
        using var scope = NewDisposeScope();
        Tensor z = (value - Loc) / Scale;
        // -(log scale + log(2 pi)/2) - z^2/2 as one fused multiply-add: with a constant scale (most priors) the normaliser
        // records no autograd node, so the log density of a sampled value costs three nodes instead of six.
        Tensor negativeNormaliser = (Scale.log() + HalfLog2Pi).neg_();
        return addcmul(negativeNormaliser, z, z, value: -0.5).MoveToOuterDisposeScope();
    }

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
