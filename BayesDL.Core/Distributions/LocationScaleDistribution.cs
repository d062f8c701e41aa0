using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// A location-scale family, element-wise over a batch: X = mu + sigma Z with Z drawn from the family's standard
/// member (mu = 0, sigma = 1), so p(x) = p_Z((x - mu) / sigma) / sigma. Sampling is reparameterised through
/// that identity (pathwise gradients to mu and sigma), as in TensorFlow Probability's loc-scale families.
/// The constructor checks mu finite and sigma &gt; 0 unless <c>validate: false</c>.
/// </summary>
public abstract class LocationScaleDistribution : Distribution
{
    /// <summary>Stores and (when <paramref name="validate"/>) checks the location and scale.</summary>
    private protected LocationScaleDistribution(string family, Tensor loc, Tensor scale, long[] batchShape, bool validate)
        : base(batchShape, Array.Empty<long>(), validate)
    {
        if (Validate)
        {
            Check.Finite(loc, family, "loc");
            Check.Positive(scale, family, "scale");
        }
        Loc = loc;
        Scale = scale;
    }

    /// <summary>The location mu.</summary>
    public Tensor Loc { get; }

    /// <summary>The scale sigma (&gt; 0).</summary>
    public Tensor Scale { get; }

    /// <inheritdoc/>
    public override Device Device => Loc.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Loc.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <summary>x = mu + sigma z, z from <see cref="StandardNoise"/>.</summary>
    public sealed override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        return (Loc + Scale * StandardNoise(ExtendedShape(sampleShape))).MoveToOuterDisposeScope();
    }

    /// <summary>Draws of the standard member (mu = 0, sigma = 1) of the full sample shape, on this device and dtype.</summary>
    private protected abstract Tensor StandardNoise(long[] shape);
}
