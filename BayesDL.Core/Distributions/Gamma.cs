using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The gamma distribution with shape (concentration) alpha &gt; 0 and rate beta &gt; 0, element-wise, support x &gt; 0:
/// log p(x) = alpha log beta + (alpha - 1) log x - beta x - lgamma(alpha); mean alpha/beta, variance alpha/beta^2,
/// entropy H = alpha - log beta + lgamma(alpha) + (1 - alpha) digamma(alpha).
/// Reparameterised: x = G / beta with G from libtorch's standard-gamma sampler, whose derivative in alpha is the
/// implicit reparameterisation gradient (Figurnov et al. 2018) that libtorch provides.
/// Written here: TorchSharp's wrapper checks neither parameters nor support.
/// </summary>
public sealed class Gamma : Distribution
{
    internal Gamma(Tensor concentration, Tensor rate, bool validate)
        : base(BroadcastShape(nameof(Gamma), ("concentration", concentration), ("rate", rate)), Array.Empty<long>(), validate)
    {
        if (Validate)
        {
            Check.Positive(concentration, nameof(Gamma), "concentration");
            Check.Positive(rate, nameof(Gamma), "rate");
        }
        Concentration = concentration;
        Rate = rate;
    }

    /// <summary>The shape alpha (&gt; 0).</summary>
    public Tensor Concentration { get; }

    /// <summary>The rate beta (&gt; 0); the scale is 1/beta.</summary>
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
        Tensor g = _standard_gamma(Concentration.expand(ExtendedShape(sampleShape)), null);
        // A draw that underflows to 0 (alpha &lt;&lt; 1 in float32) would have log density +-inf: keep it representable.
        return (g.clamp_min(finfo(Dtype).tiny) / Rate).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Positive(value, nameof(Gamma), "value");
        using var scope = NewDisposeScope();
        Tensor lp = xlogy(Concentration, Rate) + xlogy(Concentration - 1, value) - Rate * value - Concentration.lgamma();
        return lp.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        Tensor h = Concentration - Rate.log() + Concentration.lgamma() + (1 - Concentration) * Concentration.digamma();
        return h.expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => (Concentration / Rate).expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor Variance => (Concentration / Rate.square()).expand(BatchShape);
}

public static partial class Dist
{
    /// <summary>Gamma(concentration, rate), element-wise: mean concentration/rate.</summary>
    public static Gamma Gamma(Tensor concentration, Tensor rate, bool validate = true) => new(concentration, rate, validate);

    /// <summary>Gamma(concentration, rate) with scalar parameters on <paramref name="policy"/> (default policy if null).</summary>
    public static Gamma Gamma(double concentration, double rate, Engine.ComputePolicy? policy = null)
    {
        policy ??= Engine.ComputePolicy.Default;
        return new(policy.Scalar(concentration), policy.Scalar(rate), validate: true);
    }
}
