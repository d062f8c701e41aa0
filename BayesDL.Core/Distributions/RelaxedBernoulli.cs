using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The binary Concrete / relaxed Bernoulli distribution on (0, 1) (Maddison et al. 2017; Jang et al. 2017), used for
/// learned (concrete) dropout: y = sigmoid((logit + L) / T) with logistic noise L = log u - log(1 - u), u ~ U(0, 1),
/// temperature T &gt; 0; as T -&gt; 0 it approaches Bernoulli(sigmoid(logit)). Reparameterised.
/// With x = logit(y): log p(y) = log T + (logit - T x) - 2 softplus(logit - T x) - log y - log(1 - y).
/// Mean, variance and entropy have no closed form; they are one-dimensional expectations over L, computed by
/// the trapezoidal rule in L on [-45, 45] with step min(0.25, T/2), which converges exponentially (the
/// integrands are analytic within a strip of half-width pi T, so the error is about exp(-4 pi^2) relative).
/// Entropy uses H[Y] = H[X] + E[log y + log(1 - y)] with H[X] = 2 - log T.
/// Written here: TorchSharp's RelaxedBernoulli checks nothing and has no mean, variance or entropy.
/// </summary>
public sealed class RelaxedBernoulli : Distribution
{
    internal RelaxedBernoulli(Tensor temperature, Tensor? probs, Tensor? logits, bool validate)
        : base(Shape(temperature, probs, logits), Array.Empty<long>(), validate)
    {
        if (Validate)
        {
            Check.Positive(temperature, nameof(RelaxedBernoulli), "temperature");
            if (probs is not null) Check.InRange(probs, 0, 1, nameof(RelaxedBernoulli), "probs");
            else Check.Finite(logits!, nameof(RelaxedBernoulli), "logits");
        }
        Temperature = temperature;
        Logits = logits ?? probs!.log() - (-probs!).log1p();
    }

    static long[] Shape(Tensor temperature, Tensor? probs, Tensor? logits)
    {
        Check.Argument((probs is null) != (logits is null), nameof(RelaxedBernoulli), "probs/logits",
            probs is null ? "neither" : "both", "exactly one of probs and logits");
        return BroadcastShape(nameof(RelaxedBernoulli), ("temperature", temperature),
            (probs is null ? "logits" : "probs", (probs ?? logits)!));
    }

    /// <summary>The temperature T (&gt; 0).</summary>
    public Tensor Temperature { get; }

    /// <summary>Log-odds of the limiting Bernoulli.</summary>
    public Tensor Logits { get; }

    /// <summary>Success probability of the limiting Bernoulli, sigmoid(logits).</summary>
    public Tensor Probs => Logits.sigmoid();

    /// <inheritdoc/>
    public override Device Device => Logits.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Logits.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        var info = finfo(Dtype);
        Tensor u = rand(ExtendedShape(sampleShape), dtype: Dtype, device: Device).clamp(info.tiny, 1 - info.eps);
        Tensor noise = u.log() - (-u).log1p();
        // Clamped into the open interval so that LogProb of a sample is finite even at small temperatures.
        Tensor y = ((Logits + noise) / Temperature).sigmoid().clamp(info.tiny, 1 - info.eps);
        return y.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate)
            Check.Satisfies(value, v => v.gt(0).logical_and(v.lt(1)), nameof(RelaxedBernoulli), "value", "in the open interval (0, 1)");
        using var scope = NewDisposeScope();
        Tensor logY = value.log(), log1mY = (-value).log1p();
        Tensor diff = Logits - Temperature * (logY - log1mY);
        Tensor lp = Temperature.log() + diff - 2 * nn.functional.softplus(diff) - logY - log1mY;
        return lp.MoveToOuterDisposeScope();
    }

    /// <summary>E[f(X)] over X = (logit + L) / T by the trapezoidal rule in L; f maps X (leading grid dim) to values.</summary>
    Tensor Expect(Func<Tensor, Tensor> f)
    {
        double tMin;
        using (no_grad()) tMin = Temperature.min().to(ScalarType.Float64).item<double>();
        double step = Math.Min(0.25, tMin / 2);
        long n = 2 * (long)Math.Ceiling(45 / step) + 1;
        Tensor l = linspace(-(n - 1) / 2 * step, (n - 1) / 2 * step, n, dtype: Dtype, device: Device)
            .reshape(new[] { n }.Concat(Enumerable.Repeat(1L, BatchShape.Length)).ToArray());
        Tensor density = l.sigmoid() * (-l).sigmoid();
        return (step * (density * f((Logits + l) / Temperature)).sum(0L)).expand(BatchShape);
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        Tensor e = Expect(x => nn.functional.softplus(x) + nn.functional.softplus(-x));
        return (2 - Temperature.log() - e).expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean
    {
        get
        {
            using var scope = NewDisposeScope();
            return Expect(x => x.sigmoid()).MoveToOuterDisposeScope();
        }
    }

    /// <inheritdoc/>
    public override Tensor Variance
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor mean = Expect(x => x.sigmoid());
            return Expect(x => (x.sigmoid() - mean).square()).MoveToOuterDisposeScope();
        }
    }
}

public static partial class Dist
{
    /// <summary>Relaxed Bernoulli (binary Concrete) with temperature <paramref name="temperature"/> and probabilities
    /// <paramref name="probs"/>.</summary>
    public static RelaxedBernoulli RelaxedBernoulli(Tensor temperature, Tensor probs, bool validate = true) =>
        new(temperature, probs, null, validate);

    /// <summary>Relaxed Bernoulli (binary Concrete) with temperature <paramref name="temperature"/> and log-odds
    /// <paramref name="logits"/>.</summary>
    public static RelaxedBernoulli RelaxedBernoulliLogits(Tensor temperature, Tensor logits, bool validate = true) =>
        new(temperature, null, logits, validate);
}
