using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The categorical distribution over {0, ..., K-1}, parameterised along the last dimension of its probabilities
/// or logits (batch shape = all but the last dimension; values are int64 class indices):
/// log p(k) = logits_k - logsumexp(logits); entropy H = -sum_k p_k log p_k; mean and variance are those of the
/// index, sum_k k p_k and sum_k k^2 p_k - mean^2. Probabilities are normalised along the last dimension, as in
/// torch.distributions; the log-probabilities are kept normalised (log-softmax) so p_k down to 1e-6 is exact.
/// Written here rather than wrapping TorchSharp's, which checks neither parameters nor support.
/// Discrete: no reparameterised sampler.
/// </summary>
public sealed class Categorical : Distribution
{
    internal Categorical(Tensor? probs, Tensor? logits, bool validate)
        : base(Shape(probs, logits), Array.Empty<long>(), validate)
    {
        if (probs is not null)
        {
            if (Validate)
            {
                Check.InRange(probs, 0, 1, nameof(Categorical), "probs");
                Check.Positive(probs.sum(-1), nameof(Categorical), "probs (sum over the last dimension)");
            }
            Probs = probs / probs.sum(-1, keepdim: true);
            LogProbs = Probs.log();
        }
        else
        {
            if (Validate) Check.Finite(logits!, nameof(Categorical), "logits");
            LogProbs = logits!.log_softmax(-1);
            Probs = LogProbs.exp();
        }
        Categories = Probs.size(-1);
        Parameters = (probs ?? logits)!;
        IsLogitParameterised = probs is null;
    }

    /// <summary>
    /// The parameters as given: unnormalised probabilities, or logits when <see cref="IsLogitParameterised"/>. The KL of
    /// nearly equal distributions is formed from their differences, which normalising first would round away.
    /// </summary>
    internal Tensor Parameters { get; }

    /// <summary>True when built from logits.</summary>
    internal bool IsLogitParameterised { get; }

    static long[] Shape(Tensor? probs, Tensor? logits)
    {
        Check.Argument((probs is null) != (logits is null), nameof(Categorical), "probs/logits",
            probs is null ? "neither" : "both", "exactly one of probs and logits");
        Tensor t = (probs ?? logits)!;
        Check.Argument(t.dim() >= 1 && t.size(-1) >= 1, nameof(Categorical), probs is null ? "logits" : "probs",
            $"shape {Check.Shape(t.shape)}", "at least one dimension, the last holding K >= 1 categories");
        return TensorShape.Of(t)[..^1];
    }

    /// <summary>Normalised probabilities, shape <c>BatchShape ++ [K]</c>.</summary>
    public Tensor Probs { get; }

    /// <summary>Normalised log-probabilities (log-softmax of the logits), shape <c>BatchShape ++ [K]</c>; -inf where p is 0.</summary>
    public Tensor LogProbs { get; }

    /// <summary>The number of categories K.</summary>
    public long Categories { get; }

    /// <inheritdoc/>
    public override Device Device => Probs.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Probs.dtype;

    /// <inheritdoc/>
    public override Tensor Sample(params long[] sampleShape)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long n = sampleShape.Aggregate(1L, (a, b) => a * b);
        Tensor flat = Probs.reshape(-1, Categories);
        Tensor draws = multinomial(flat, n, replacement: true).T; // [n, batch]
        return draws.reshape(sampleShape.Concat(BatchShape).ToArray()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate)
            Check.Satisfies(value, v => v.ge(0).logical_and(v.lt(Categories)).logical_and(v.eq(v.floor())),
                nameof(Categorical), "value", $"an integer class index in [0, {Categories - 1}]");
        using var scope = NewDisposeScope();
        Tensor index = value.to(ScalarType.Int64);
        long[] shape = BroadcastShapes(TensorShape.Of(index), BatchShape)!;
        Tensor lp = LogProbs.expand(shape.Append(Categories).ToArray());
        Tensor picked = lp.gather(-1, index.expand(shape).unsqueeze(-1)).squeeze(-1);
        return picked.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        return (-Bernoulli.Xlog(Probs, LogProbs).sum(-1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor k = linspace(0, Categories - 1, Categories, dtype: Dtype, device: Device);
            return (Probs * k).sum(-1).MoveToOuterDisposeScope();
        }
    }

    /// <inheritdoc/>
    public override Tensor Variance
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor k = linspace(0, Categories - 1, Categories, dtype: Dtype, device: Device);
            Tensor mean = (Probs * k).sum(-1, keepdim: true);
            return (Probs * (k - mean).square()).sum(-1).MoveToOuterDisposeScope();
        }
    }
}

public static partial class Dist
{
    /// <summary>Categorical over the last dimension of <paramref name="probs"/> (non-negative, normalised here).</summary>
    public static Categorical Categorical(Tensor probs, bool validate = true) => new(probs, null, validate);

    /// <summary>Categorical with unnormalised log-probabilities <paramref name="logits"/> along the last dimension.</summary>
    public static Categorical CategoricalLogits(Tensor logits, bool validate = true) => new(null, logits, validate);
}
