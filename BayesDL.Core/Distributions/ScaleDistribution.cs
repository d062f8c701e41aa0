using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// A scale family on x &gt;= 0, element-wise over a batch: X = sigma Z with Z drawn from the family's standard
/// member (sigma = 1), so p(x) = p_Z(x / sigma) / sigma; sampling is reparameterised through that identity.
/// The half-normal and half-Cauchy priors on scales (Gelman 2006) are of this kind.
/// The constructor checks sigma &gt; 0 unless <c>validate: false</c>.
/// </summary>
public abstract class ScaleDistribution : Distribution
{
    /// <summary>Stores and (when <paramref name="validate"/>) checks the scale.</summary>
    private protected ScaleDistribution(string family, Tensor scale, bool validate)
        : base(TensorShape.Of(scale), Array.Empty<long>(), validate)
    {
        if (Validate) Check.Positive(scale, family, "scale");
        Scale = scale;
    }

    /// <summary>The scale sigma (&gt; 0).</summary>
    public Tensor Scale { get; }

    /// <inheritdoc/>
    public override Device Device => Scale.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Scale.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <summary>x = sigma z, z from <see cref="StandardNoise"/>.</summary>
    public sealed override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        return (Scale * StandardNoise(ExtendedShape(sampleShape))).MoveToOuterDisposeScope();
    }

    /// <summary>Draws of the standard member (sigma = 1) of the full sample shape, on this device and dtype.</summary>
    private protected abstract Tensor StandardNoise(long[] shape);
}
