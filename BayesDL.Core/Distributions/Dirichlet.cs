using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The Dirichlet distribution on the probability simplex with concentrations alpha_1..alpha_K &gt; 0 along the last
/// dimension (event shape [K]): log p(x) = sum_k (alpha_k - 1) log x_k + lgamma(alpha_0) - sum_k lgamma(alpha_k),
/// alpha_0 = sum_k alpha_k; mean alpha/alpha_0, variance alpha (alpha_0 - alpha) / (alpha_0^2 (alpha_0 + 1)),
/// entropy H = sum_k lgamma(alpha_k) - lgamma(alpha_0) + (alpha_0 - K) digamma(alpha_0) - sum_k (alpha_k - 1) digamma(alpha_k).
/// Reparameterised: x = G / sum(G), G_k ~ Gamma(alpha_k, 1), differentiable through libtorch's standard-gamma gradient.
/// Written here: TorchSharp's checks neither parameters nor support.
/// </summary>
public sealed class Dirichlet : Distribution
{
    internal Dirichlet(Tensor concentration, bool validate)
        : base(Shape(concentration)[..^1], Shape(concentration)[^1..], validate)
    {
        if (Validate) Check.Positive(concentration, nameof(Dirichlet), "concentration");
        Concentration = concentration;
    }

    static long[] Shape(Tensor c)
    {
        Check.Argument(c.dim() >= 1 && c.size(-1) >= 2, nameof(Dirichlet), "concentration", $"shape {Check.Shape(c.shape)}",
            "at least one dimension, the last holding K >= 2 concentrations");
        return TensorShape.Of(c);
    }

    /// <summary>The concentrations alpha (&gt; 0), shape <c>BatchShape ++ [K]</c>.</summary>
    public Tensor Concentration { get; }

    /// <inheritdoc/>
    public override Device Device => Concentration.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Concentration.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        Tensor g = _standard_gamma(Concentration.expand(ExtendedShape(sampleShape)), null).clamp_min(finfo(Dtype).tiny);
        return (g / g.sum(-1, keepdim: true)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate)
        {
            Check.Satisfies(value, v => v.gt(0).logical_and(v.le(1)), nameof(Dirichlet), "value", "in (0, 1] (the simplex)");
            double tolerance = value.dtype == ScalarType.Float64 ? 1e-10 : 1e-5;
            Check.Satisfies(value.sum(-1), v => (v - 1).abs().le(tolerance), nameof(Dirichlet), "value (sum over the last dimension)",
                $"1 within {tolerance} (a point of the simplex)", "Normalise the value along its last dimension.");
        }
        using var scope = NewDisposeScope();
        Tensor lp = xlogy(Concentration - 1, value).sum(-1) + Concentration.sum(-1).lgamma() - Concentration.lgamma().sum(-1);
        return lp.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        long k = EventShape[0];
        Tensor a0 = Concentration.sum(-1);
        Tensor h = Concentration.lgamma().sum(-1) - a0.lgamma() + (a0 - k) * a0.digamma()
                   - ((Concentration - 1) * Concentration.digamma()).sum(-1);
        return h.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => Concentration / Concentration.sum(-1, keepdim: true);

    /// <inheritdoc/>
    public override Tensor Variance
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor a0 = Concentration.sum(-1, keepdim: true);
            return (Concentration * (a0 - Concentration) / (a0.square() * (a0 + 1))).MoveToOuterDisposeScope();
        }
    }
}

public static partial class Dist
{
    /// <summary>Dirichlet with concentrations along the last dimension of <paramref name="concentration"/>.</summary>
    public static Dirichlet Dirichlet(Tensor concentration, bool validate = true) => new(concentration, validate);
}
