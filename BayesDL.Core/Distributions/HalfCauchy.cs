using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The half-Cauchy distribution |y|, y ~ Cauchy(0, scale), element-wise, support x &gt;= 0 (a common prior on scales,
/// Gelman 2006): log p(x) = log(2/pi) - log scale - log1p((x/scale)^2); entropy H = log(2 pi scale).
/// Mean and variance are infinite (the integrals diverge), returned as +inf.
/// Reparameterised by inversion: x = scale tan(pi u / 2), u ~ U[0, 1).
/// Written here: TorchSharp's checks neither parameters nor support.
/// </summary>
public sealed class HalfCauchy : Distribution
{
    static readonly double LogTwoOverPi = Math.Log(2 / Math.PI);

    internal HalfCauchy(Tensor scale, bool validate) : base(scale.shape, Array.Empty<long>(), validate)
    {
        if (validate) Check.Positive(scale, nameof(HalfCauchy), "scale");
        Scale = scale;
    }

    /// <summary>The scale (&gt; 0), also the median.</summary>
    public Tensor Scale { get; }

    /// <inheritdoc/>
    public override Device Device => Scale.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Scale.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        Tensor u = rand(ExtendedShape(sampleShape), dtype: Dtype, device: Device);
        return (Scale * (Math.PI / 2 * u).tan()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        if (Validate) Check.NonNegative(value, nameof(HalfCauchy), "value");
        using var scope = NewDisposeScope();
        return (LogTwoOverPi - Scale.log() - (value / Scale).square().log1p()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy() => Scale.log() + Math.Log(2 * Math.PI);

    /// <inheritdoc/>
    public override Tensor Mean => full(BatchShape, double.PositiveInfinity, dtype: Dtype, device: Device);

    /// <inheritdoc/>
    public override Tensor Variance => full(BatchShape, double.PositiveInfinity, dtype: Dtype, device: Device);
}

public static partial class Dist
{
    /// <summary>HalfCauchy(scale) = |Cauchy(0, scale)|, element-wise.</summary>
    public static HalfCauchy HalfCauchy(Tensor scale, bool validate = true) => new(scale, validate);

    /// <summary>HalfCauchy(scale) with a scalar scale on <paramref name="policy"/> (default policy if null).</summary>
    public static HalfCauchy HalfCauchy(double scale, Engine.ComputePolicy? policy = null) =>
        new((policy ?? Engine.ComputePolicy.Default).Scalar(scale), validate: true);
}
