using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>The layer kind Sigmoid: 1 / (1 + exp(-x)) element-wise; its outputs are probabilities.</summary>
public sealed class SigmoidKind : ElementwiseKind
{
    SigmoidKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new SigmoidKind().Spec;

    /// <inheritdoc />
    public override string Type => "Sigmoid";

    /// <inheritdoc />
    public override System.Type Module => typeof(Sigmoid);

    internal override bool OutputsProbabilities => true;
    internal override nn.Module<Tensor, Tensor> Create() => nn.Sigmoid();
    internal override Func<Tensor, Tensor> Function(nn.Module module) => h => h.sigmoid();
}
