using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// A layer kind that applies one function to every element and holds no weights (an activation): its module, its function
/// (the functional form, applied to activations of any shape), and a declaration the builders add with
/// <c>SequentialBuilder.Add(kind.Layer)</c>; the shape passes through. A kind with settings (a slope, a dimension)
/// also writes and reads them.
/// </summary>
public abstract class ElementwiseKind : LayerKind
{
    private protected ElementwiseKind() => Spec = new ElementwiseSpec(this);

    /// <summary>
    /// The declaration of this layer with the builder's settings (<see cref="Create"/>), for <c>SequentialBuilder.Add</c>; with
    /// <see cref="LayerKinds.Activations"/> a program declares any registered activation by name.
    /// </summary>
    public LayerSpec Spec { get; }

    /// <summary>The name a declaration shows, e.g. in a build error (default <see cref="LayerKind.Type"/>).</summary>
    internal virtual string Name => Type;

    /// <summary>Whether the outputs are probabilities, so no likelihood that reads logits may follow.</summary>
    internal virtual bool OutputsProbabilities => false;

    /// <summary>The module a declaration builds.</summary>
    internal abstract nn.Module<Tensor, Tensor> Create();

    /// <summary>
    /// The function <paramref name="module"/> (of this kind) applies, for activations of any shape [draws, batch, ...]; it
    /// captures the module's settings, not the module.
    /// </summary>
    internal abstract Func<Tensor, Tensor> Function(nn.Module module);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner) => new(Type, [], null);

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) => Create();

    internal override FunctionalLayer? Functional(nn.Module module) => Stateless(Function(module));

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (Create(), [2, 3]);
}

/// <summary>The declaration of an element-wise layer: the shape passes through.</summary>
internal sealed record ElementwiseSpec(ElementwiseKind Kind) : LayerSpec
{
    public override string Name => Kind.Name;
    public override bool OutputsProbabilities => Kind.OutputsProbabilities;
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(input.ToArray());
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => Kind.Create();
}
