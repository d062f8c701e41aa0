using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The Bernoulli distribution on {0, 1} with success probability p = sigmoid(logit), element-wise:
/// log p(x) = x log p + (1 - x) log(1 - p); mean p, variance p (1 - p),
/// entropy H = -p log p - (1 - p) log(1 - p). Built from probabilities or from logits; the log-probabilities
/// are kept in the form that is exact for the given parameterisation (log p = -softplus(-logit) from logits,
/// log p from probabilities), so p down to 1e-6 and logits up to +-80 stay finite.
/// Written here rather than wrapping TorchSharp's, which checks neither parameters nor support and clamps
/// probabilities to float epsilon. Discrete: no reparameterised sampler (use <see cref="RelaxedBernoulli"/>).
/// </summary>
public sealed class Bernoulli : Distribution
{
    internal Bernoulli(Tensor? probs, Tensor? logits, bool validate)
        : base(Shape(probs, logits), Array.Empty<long>(), validate)
    {
        if (probs is not null)
        {
            if (Validate) Check.InRange(probs, 0, 1, nameof(Bernoulli), "probs");
            Probs = probs;
            Logits = probs.log() - (-probs).log1p();
            LogP = probs.log();
            Log1mP = (-probs).log1p();
        }
        else
        {
            if (Validate) Check.Finite(logits!, nameof(Bernoulli), "logits");
            Logits = logits!;
            Probs = logits!.sigmoid();
            LogP = -nn.functional.softplus(-logits!);
            Log1mP = -nn.functional.softplus(logits!);
        }
        IsLogitParameterised = probs is null;
    }

    static long[] Shape(Tensor? probs, Tensor? logits)
    {
        Check.Argument((probs is null) != (logits is null), nameof(Bernoulli), "probs/logits",
            probs is null ? "neither" : "both", "exactly one of probs and logits");
        return TensorShape.Of((probs ?? logits)!);
    }

    /// <summary>Success probabilities p in [0, 1].</summary>
    public Tensor Probs { get; }

    /// <summary>Log-odds log p - log(1 - p) (infinite where p is 0 or 1).</summary>
    public Tensor Logits { get; }

    /// <summary>True when built from logits.</summary>
    public bool IsLogitParameterised { get; }

    /// <summary>log p, computed without cancellation for the given parameterisation.</summary>
    internal Tensor LogP { get; }

    /// <summary>log(1 - p), computed without cancellation for the given parameterisation.</summary>
    internal Tensor Log1mP { get; }

    /// <inheritdoc/>
    public override Device Device => Probs.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Probs.dtype;

    /// <inheritdoc/>
    public override Tensor Sample(params long[] sampleShape)
    {
        using var _ = no_grad();
        return bernoulli(Probs.expand(ExtendedShape(sampleShape)));
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) CheckBinary(value, nameof(Bernoulli));
        using var scope = NewDisposeScope();
        // where() rather than x log p + (1 - x) log(1 - p): 0 * (-inf) would be NaN at p in {0, 1}.
        return where(value.gt(0.5), LogP, Log1mP).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        Tensor h = -(Xlog(Probs, LogP) + Xlog(Log1mP.exp(), Log1mP));
        return h.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => Probs;

    /// <inheritdoc/>
    public override Tensor Variance => Probs * (1 - Probs);

    /// <summary>w * logValue with 0 * log 0 = 0.</summary>
    internal static Tensor Xlog(Tensor w, Tensor logValue) => where(w.eq(0), zeros_like(logValue), w * logValue);

    internal static void CheckBinary(Tensor value, string component) =>
        Check.Satisfies(value, v => v.eq(0).logical_or(v.eq(1)), component, "value", "0 or 1 (the support)", "Pass binary outcomes.");
}

public static partial class Dist
{
    /// <summary>Bernoulli with success probabilities <paramref name="probs"/> in [0, 1].</summary>
    public static Bernoulli Bernoulli(Tensor probs, bool validate = true) => new(probs, null, validate);

    /// <summary>Bernoulli with log-odds <paramref name="logits"/> (p = sigmoid(logits)).</summary>
    public static Bernoulli BernoulliLogits(Tensor logits, bool validate = true) => new(null, logits, validate);

    /// <summary>Bernoulli(p) with a scalar probability on <paramref name="policy"/> (default policy if null).</summary>
    public static Bernoulli Bernoulli(double probs, Engine.ComputePolicy? policy = null) =>
        new((policy ?? Engine.ComputePolicy.Default).Scalar(probs), null, validate: true);
}
