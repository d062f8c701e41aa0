using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The continuous uniform distribution on [low, high], element-wise: log p(x) = -log(high - low) on the support;
/// mean (low + high)/2, variance (high - low)^2 / 12, entropy H = log(high - low).
/// Reparameterised: x = low + (high - low) u, u ~ U[0, 1).
/// Written here: TorchSharp's Uniform checks neither low &lt; high nor the support.
/// </summary>
public sealed class Uniform : Distribution
{
    internal Uniform(Tensor low, Tensor high, bool validate)
        : base(BroadcastShape(nameof(Uniform), ("low", low), ("high", high)), Array.Empty<long>(), validate)
    {
        if (Validate)
        {
            Check.Finite(low, nameof(Uniform), "low");
            Check.Finite(high, nameof(Uniform), "high");
            using var scope = NewDisposeScope();
            Check.Positive(high - low, nameof(Uniform), "high - low");
        }
        Low = low;
        High = high;
    }

    /// <summary>The lower end.</summary>
    public Tensor Low { get; }

    /// <summary>The upper end (&gt; low).</summary>
    public Tensor High { get; }

    /// <inheritdoc/>
    public override Device Device => Low.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Low.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        Tensor u = rand(ExtendedShape(sampleShape), dtype: Dtype, device: Device);
        return (Low + (High - Low) * u).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate)
            Check.Satisfies(value, v => v.ge(Low).logical_and(v.le(High)), nameof(Uniform), "value", "in [low, high] (the support)");
        using var scope = NewDisposeScope();
        return (-(High - Low).log()).expand(BroadcastShapes(TensorShape.Of(value), BatchShape)!).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        return (High - Low).log().expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean
    {
        get
        {
            using var scope = NewDisposeScope();
            return ((Low + High) / 2).expand(BatchShape).MoveToOuterDisposeScope();
        }
    }

    /// <inheritdoc/>
    public override Tensor Variance
    {
        get
        {
            using var scope = NewDisposeScope();
            return ((High - Low).square() / 12).expand(BatchShape).MoveToOuterDisposeScope();
        }
    }
}

public static partial class Dist
{
    /// <summary>Uniform on [low, high], element-wise.</summary>
    public static Uniform Uniform(Tensor low, Tensor high, bool validate = true) => new(low, high, validate);

    /// <summary>Uniform on [low, high] with scalar ends on <paramref name="policy"/> (default policy if null).</summary>
    public static Uniform Uniform(double low, double high, Engine.ComputePolicy? policy = null)
    {
        policy ??= Engine.ComputePolicy.Default;
        return new(policy.Scalar(low), policy.Scalar(high), validate: true);
    }
}
