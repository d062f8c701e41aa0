using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>The layer kind Tanh: tanh(x) element-wise.</summary>
public sealed class TanhKind : ElementwiseKind
{
    TanhKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new TanhKind().Spec;

    /// <inheritdoc />
    public override string Type => "Tanh";

    /// <inheritdoc />
    public override System.Type Module => typeof(Tanh);

    internal override nn.Module<Tensor, Tensor> Create() => nn.Tanh();
    internal override Func<Tensor, Tensor> Function(nn.Module module) => h => h.tanh();
}
