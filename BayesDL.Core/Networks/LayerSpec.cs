using BayesDL.Engine;
using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// One layer of a declared network: what it expects, what it outputs, and how to make the TorchSharp
/// module. Specs are immutable descriptions; nothing is allocated until the model is built, so shape
/// mistakes are reported with both shapes before any tensor exists. Each spec belongs to one <see cref="LayerKind"/>,
/// declared with it in one file (<see cref="LayerKinds"/>).
/// </summary>
public abstract record LayerSpec
{
    /// <summary>A short description naming the layer's sizes, e.g. <c>Linear(784 -> 400)</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The input shape this layer fixes by itself (a dense layer's width), empty when it adapts.</summary>
    public virtual IReadOnlyList<long> DeclaredInput => [];

    /// <summary>The prior declared on this layer itself (Bayesian layers), null when it uses the model's.</summary>
    internal virtual PriorSpec? DeclaredPrior => null;

    /// <summary>Whether the layer's weights are random variables (a Bayesian layer).</summary>
    public virtual bool IsBayesian => false;

    /// <summary>Whether the layer stays stochastic in evaluation mode (MC dropout), so the model has a weight posterior.</summary>
    public virtual bool IsMonteCarlo => false;

    /// <summary>Whether the layer outputs probabilities (softmax, sigmoid), so no likelihood that reads logits may follow it.</summary>
    public virtual bool OutputsProbabilities => false;

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

/// <summary>
/// What layers are made under: the compute policy, the model's default weight prior, the rank of a correlated Gaussian
/// posterior for dense Bayesian layers (null: mean field; 0: full rank; k: low rank k), under concrete dropout the
/// length-scale every deterministic weight layer's <see cref="VariationalConcreteDropout"/> wraps it with (null: none), and
/// how deterministic weight layers draw their starting weights.
/// </summary>
internal sealed record BuildContext(ComputePolicy Policy, PriorSpec DefaultPrior, int? CorrelatedRank = null,
    double? ConcreteLengthScale = null, WeightInitialization Initialization = WeightInitialization.TorchDefault)
{
    /// <summary>
    /// A deterministic weight layer as the context wants it: its weights drawn under <see cref="Initialization"/>, then under
    /// concrete dropout wrapped in a <see cref="VariationalConcreteDropout"/> with the context's length-scale, else as is.
    /// </summary>
    internal nn.Module<Tensor, Tensor> WeightLayer(nn.Module<Tensor, Tensor> layer)
    {
        var initialized = WeightInitializer.Apply(layer, Initialization);
        return ConcreteLengthScale is double l
            ? Policy.Apply(BayesNN.VariationalConcreteDropout(Policy.Apply(initialized), lengthScale: l))
            : Policy.Apply(initialized);
    }
}

/// <summary>A shape inference step: the output shape, or what input the layer expected.</summary>
internal readonly record struct ShapeStep(IReadOnlyList<long> Output, string? Expected)
{
    public static ShapeStep Ok(params long[] output) => new(output, null);
    public static ShapeStep Expect(string expected) => new([], expected);
}
