using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The log-normal distribution: x = exp(y) with y ~ N(loc, scale^2), element-wise, support x &gt; 0:
/// log p(x) = log N(log x; loc, scale^2) - log x; mean exp(loc + scale^2/2),
/// variance expm1(scale^2) exp(2 loc + scale^2) (expm1: no cancellation for small scales),
/// entropy H = loc + 1/2 + log(scale sqrt(2 pi)). Reparameterised through the underlying Normal.
/// KL(LogNormal || LogNormal) equals the KL of the underlying Normals (KL is invariant under the bijection exp).
/// Written here: TorchSharp's checks neither parameters nor support.
/// </summary>
public sealed class LogNormal : Distribution
{
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    internal LogNormal(Tensor loc, Tensor scale, bool validate)
        : base(BroadcastShape(nameof(LogNormal), ("loc", loc), ("scale", scale)), Array.Empty<long>(), validate)
    {
        if (Validate)
        {
            Check.Finite(loc, nameof(LogNormal), "loc");
            Check.Positive(scale, nameof(LogNormal), "scale");
        }
        Loc = loc;
        Scale = scale;
    }

    /// <summary>Mean of log x.</summary>
    public Tensor Loc { get; }

    /// <summary>Standard deviation of log x (&gt; 0).</summary>
    public Tensor Scale { get; }

    /// <summary>The distribution of log x: N(loc, scale^2) (validated already).</summary>
    public Normal Underlying => new(Loc, Scale, validate: false);

    /// <inheritdoc/>
    public override Device Device => Loc.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Loc.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        return Underlying.RSample(sampleShape).exp().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Positive(value, nameof(LogNormal), "value");
        using var scope = NewDisposeScope();
        Tensor y = value.log();
        return (-0.5 * ((y - Loc) / Scale).square() - Scale.log() - HalfLog2Pi - y).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        return (Loc + 0.5 + HalfLog2Pi + Scale.log()).expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean
    {
        get
        {
            using var scope = NewDisposeScope();
            return (Loc + 0.5 * Scale.square()).exp().expand(BatchShape).MoveToOuterDisposeScope();
        }
    }

    /// <inheritdoc/>
    public override Tensor Variance
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor s2 = Scale.square();
            return (s2.expm1() * (2 * Loc + s2).exp()).expand(BatchShape).MoveToOuterDisposeScope();
        }
    }
}

public static partial class Dist
{
    /// <summary>LogNormal(loc, scale): exp of N(loc, scale^2), element-wise.</summary>
    public static LogNormal LogNormal(Tensor loc, Tensor scale, bool validate = true) => new(loc, scale, validate);

    /// <summary>LogNormal(loc, scale) with scalar parameters on <paramref name="policy"/> (default policy if null).</summary>
    public static LogNormal LogNormal(double loc, double scale, Engine.ComputePolicy? policy = null)
    {
        policy ??= Engine.ComputePolicy.Default;
        return new(policy.Scalar(loc), policy.Scalar(scale), validate: true);
    }
}
