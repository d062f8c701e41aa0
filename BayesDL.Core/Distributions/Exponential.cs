using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The exponential distribution with rate lambda &gt; 0, element-wise, support x &gt;= 0:
/// log p(x) = log lambda - lambda x; mean 1/lambda, variance 1/lambda^2, entropy H = 1 - log lambda.
/// Reparameterised by inversion, x = -log(u) / lambda, u ~ U(0, 1].
/// Written here: TorchSharp's Exponential checks nothing and its variance is wrong (it does not return 1/rate^2).
/// </summary>
public sealed class Exponential : Distribution
{
    internal Exponential(Tensor rate, bool validate)
        : base(TensorShape.Of(rate), Array.Empty<long>(), validate)
    {
        if (Validate) Check.Positive(rate, nameof(Exponential), "rate");
        Rate = rate;
    }

    /// <summary>The rate lambda (&gt; 0).</summary>
    public Tensor Rate { get; }

    /// <inheritdoc/>
    public override Device Device => Rate.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Rate.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        Tensor u = rand(ExtendedShape(sampleShape), dtype: Dtype, device: Device).clamp_min(finfo(Dtype).tiny);
        return (-u.log() / Rate).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.NonNegative(value, nameof(Exponential), "value");
        using var scope = NewDisposeScope();
        return (Rate.log() - Rate * value).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy() => 1 - Rate.log();

    /// <inheritdoc/>
    public override Tensor Mean => Rate.reciprocal();

    /// <inheritdoc/>
    public override Tensor Variance => Rate.square().reciprocal();
}

public static partial class Dist
{
    /// <summary>Exponential(rate), element-wise: mean 1/rate.</summary>
    public static Exponential Exponential(Tensor rate, bool validate = true) => new(rate, validate);

    /// <summary>Exponential(rate) with a scalar rate on <paramref name="policy"/> (default policy if null).</summary>
    public static Exponential Exponential(double rate, Engine.ComputePolicy? policy = null) =>
        new((policy ?? Engine.ComputePolicy.Default).Scalar(rate), validate: true);
}
