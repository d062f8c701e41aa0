using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// Reinterprets the last k batch dimensions of a base distribution as event dimensions, so that
/// log p(x) = sum over those k dimensions of log p_base(x) (a product of independent factors):
/// a diagonal Normal is <c>Independent(Normal(loc, scale), 1)</c>. Entropy likewise sums; mean and variance
/// are the base's. KL(Independent p || Independent q) = sum over the k dimensions of KL(p_base || q_base).
/// Written here (TorchSharp's Independent wraps only TorchSharp distributions).
/// </summary>
public sealed class Independent : Distribution
{
    readonly long[] _reducedDims;

    internal Independent(Distribution baseDistribution, int reinterpretedBatchDims)
        : base(Split(baseDistribution, reinterpretedBatchDims).Batch, Split(baseDistribution, reinterpretedBatchDims).Event,
               baseDistribution.Validate)
    {
        Base = baseDistribution;
        ReinterpretedBatchDims = reinterpretedBatchDims;
        // Base.LogProb already sums the base's own event dimensions, so the reinterpreted ones are the last k.
        _reducedDims = Enumerable.Range(1, reinterpretedBatchDims).Select(i => (long)(-i)).ToArray();
    }

    static (long[] Batch, long[] Event) Split(Distribution d, int k)
    {
        Check.Argument(k >= 0 && k <= d.BatchShape.Length, nameof(Independent), "reinterpretedBatchDims", k.ToString(),
            $"in [0, {d.BatchShape.Length}] (the number of batch dimensions of {d})");
        int keep = d.BatchShape.Length - k;
        return (d.BatchShape[..keep], d.BatchShape[keep..].Concat(d.EventShape).ToArray());
    }

    /// <summary>The distribution whose batch dimensions are reinterpreted.</summary>
    public Distribution Base { get; }

    /// <summary>How many trailing batch dimensions of <see cref="Base"/> became event dimensions.</summary>
    public int ReinterpretedBatchDims { get; }

    /// <inheritdoc/>
    public override string Name => $"Independent({Base.Name}, {ReinterpretedBatchDims})";

    /// <inheritdoc/>
    public override Device Device => Base.Device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Base.Dtype;

    /// <inheritdoc/>
    public override bool HasRSample => Base.HasRSample;

    /// <inheritdoc/>
    public override Tensor Sample(params long[] sampleShape) => Base.Sample(sampleShape);

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape) => Base.RSample(sampleShape);

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        return SumReinterpreted(Base.LogProb(value));
    }

    /// <inheritdoc/>
    public override Tensor Entropy() => SumReinterpreted(Base.Entropy());

    /// <inheritdoc/>
    public override Tensor Mean => Base.Mean;

    /// <inheritdoc/>
    public override Tensor Variance => Base.Variance;

    /// <inheritdoc/>
    public override Tensor StdDev => Base.StdDev;

    /// <summary>
    /// Sums a per-base-batch-element quantity over the reinterpreted dimensions (the last k of its shape).
    /// The quantity is broadcast to the base's batch shape first so that a scalar-parameter factor still
    /// counts once per element.
    /// </summary>
    internal Tensor SumReinterpreted(Tensor perElement)
    {
        if (ReinterpretedBatchDims == 0) return perElement;
        if (perElement.dim() < ReinterpretedBatchDims
            || !TensorShape.Of(perElement)[^ReinterpretedBatchDims..].SequenceEqual(Base.BatchShape[^ReinterpretedBatchDims..]))
        {
            using var scope = NewDisposeScope();
            long[] lead = perElement.dim() > Base.BatchShape.Length
                ? TensorShape.Of(perElement)[..^Base.BatchShape.Length]
                : Array.Empty<long>();
            return perElement.expand(BroadcastShapes(TensorShape.Of(perElement), lead.Concat(Base.BatchShape).ToArray())!)
                .sum(_reducedDims).MoveToOuterDisposeScope();
        }
        return perElement.sum(_reducedDims);
    }
}

public static partial class Dist
{
    /// <summary>
    /// Reinterprets the last <paramref name="reinterpretedBatchDims"/> batch dimensions of <paramref name="baseDistribution"/>
    /// as event dimensions, e.g. <c>Dist.Independent(Dist.Normal(loc, scale), 1)</c> is a diagonal Gaussian.
    /// </summary>
    public static Independent Independent(Distribution baseDistribution, int reinterpretedBatchDims = 1) =>
        new(baseDistribution, reinterpretedBatchDims);

    /// <summary>A diagonal Gaussian over the last dimension: <c>Independent(Normal(loc, scale), 1)</c>.</summary>
    public static Independent DiagonalNormal(Tensor loc, Tensor scale, bool validate = true) =>
        new(new Normal(loc, scale, validate), 1);
}
