using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>The layer kind ELU: x for x &gt; 0, alpha (exp(x) - 1) otherwise (declared with alpha 1, as <c>Elu</c>); a model file records
/// Alpha.</summary>
public sealed class EluKind : ElementwiseKind
{
    EluKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new EluKind().Spec;

    /// <inheritdoc />
    public override string Type => "ELU";

    /// <inheritdoc />
    public override System.Type Module => typeof(ELU);

    internal override string Name => "Elu";
    internal override nn.Module<Tensor, Tensor> Create() => nn.ELU();

    internal override Func<Tensor, Tensor> Function(nn.Module module)
    {
        double alpha = ((ELU)module).alpha;
        return h => nn.functional.elu(h, alpha);
    }

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner) =>
        new(Type, [], null, Settings: new() { ["Alpha"] = ((ELU)module).alpha });

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) => nn.ELU(reading.Setting("Alpha"));

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (nn.ELU(0.5), [2, 3]);
}
