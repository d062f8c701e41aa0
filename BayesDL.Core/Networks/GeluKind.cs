using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind GELU: x Phi(x) element-wise, or its tanh approximation (declared exact, as <c>Gelu</c>); a model file
/// records Tanh = 1 for the approximation.
/// </summary>
public sealed class GeluKind : ElementwiseKind
{
    GeluKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new GeluKind().Spec;

    /// <inheritdoc />
    public override string Type => "GELU";

    /// <inheritdoc />
    public override System.Type Module => typeof(GELU);

    internal override string Name => "Gelu";
    internal override nn.Module<Tensor, Tensor> Create() => nn.GELU();

    internal override Func<Tensor, Tensor> Function(nn.Module module)
    {
        var approximate = ((GELU)module).approximate;
        return h => nn.functional.gelu(h, approximate);
    }

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner) =>
        new(Type, [], null, Settings: new() { ["Tanh"] = ((GELU)module).approximate == GELU.Approximate.tanh ? 1 : 0 });

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) =>
        nn.GELU(reading.Setting("Tanh") == 1 ? GELU.Approximate.tanh : GELU.Approximate.none);

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (nn.GELU(GELU.Approximate.tanh), [2, 3]);
}
