using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>The layer kind ReLU: max(0, x) element-wise (declared as <c>Relu</c>).</summary>
public sealed class ReluKind : ElementwiseKind
{
    ReluKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new ReluKind().Spec;

    /// <inheritdoc />
    public override string Type => "ReLU";

    /// <inheritdoc />
    public override System.Type Module => typeof(ReLU);

    internal override string Name => "Relu";
    internal override nn.Module<Tensor, Tensor> Create() => nn.ReLU();
    internal override Func<Tensor, Tensor> Function(nn.Module module) => h => nn.functional.relu(h);
}
