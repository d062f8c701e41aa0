using BayesDL.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// One layer of a declared network: what it expects, what it outputs, and how to make the TorchSharp
/// module. Specs are immutable descriptions; nothing is allocated until the model is built, so shape
/// mistakes are reported with both shapes before any tensor exists.
/// </summary>
public abstract record LayerSpec
{
    /// <summary>A short description naming the layer's sizes, e.g. <c>Linear(784 -> 400)</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The input shape this layer fixes by itself (a dense layer's width), empty when it adapts.</summary>
    public virtual IReadOnlyList<long> DeclaredInput => [];

    /// <summary>The prior declared on this layer itself (Bayesian layers), null when it uses the model's.</summary>
    internal virtual Layers.PriorSpec? DeclaredPrior => null;

    /// <summary>Whether the layer's weights are random variables (a Bayesian layer).</summary>
    public virtual bool IsBayesian => false;

    /// <summary>The number of weights (and biases) the layer holds.</summary>
    public virtual long WeightCount => 0;

    /// <summary>The output shape for this input, or a sentence saying what input was expected instead.</summary>
    internal abstract ShapeStep Infer(IReadOnlyList<long> input);

    /// <summary>Parameter-range mistakes in the spec itself (checked before shapes).</summary>
    internal virtual string? Invalid() => null;

    /// <summary>The module, on the context's device and dtype.</summary>
    internal abstract nn.Module<Tensor, Tensor> Create(BuildContext context);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>What layers are made under: the compute policy, the model's default weight prior and its variational family.</summary>
internal sealed record BuildContext(ComputePolicy Policy, Layers.PriorSpec DefaultPrior, VariationalFamily? Family = null)
{
    /// <summary>
    /// A deterministic weight layer as the family wants it: under concrete dropout wrapped in a
    /// <see cref="Layers.VariationalConcreteDropout"/> with prior length-scale l = 1 / s0 for the prior N(0, s0^2), else as is.
    /// </summary>
    internal nn.Module<Tensor, Tensor> WeightLayer(nn.Module<Tensor, Tensor> layer) =>
        Family?.Kind == VariationalFamily.Family.ConcreteDropout
            ? Policy.Apply(Layers.BayesNN.VariationalConcreteDropout(Policy.Apply(layer), lengthScale: 1.0 / DefaultPrior.Parameters[1]))
            : Policy.Apply(layer);
}

/// <summary>A shape inference step: the output shape, or what input the layer expected.</summary>
internal readonly record struct ShapeStep(IReadOnlyList<long> Output, string? Expected)
{
    public static ShapeStep Ok(params long[] output) => new(output, null);
    public static ShapeStep Expect(string expected) => new([], expected);
}
