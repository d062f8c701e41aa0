using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind Softplus: log(1 + exp(beta x)) / beta element-wise, linear above x beta &gt; threshold (declared with
/// beta 1, threshold 20); a model file records Beta and Threshold.
/// </summary>
public sealed class SoftplusKind : ElementwiseKind
{
    SoftplusKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new SoftplusKind().Spec;

    /// <inheritdoc />
    public override string Type => "Softplus";

    /// <inheritdoc />
    public override System.Type Module => typeof(Softplus);

    internal override nn.Module<Tensor, Tensor> Create() => nn.Softplus();

    internal override Func<Tensor, Tensor> Function(nn.Module module)
    {
        var s = (Softplus)module;
        double beta = s.beta, threshold = s.threshold;
        return h => nn.functional.softplus(h, beta, threshold);
    }

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var s = (Softplus)module;
        return new(Type, [], null, Settings: new() { ["Beta"] = s.beta, ["Threshold"] = s.threshold });
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) => nn.Softplus(reading.Setting("Beta"),
        reading.Setting("Threshold"));

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (nn.Softplus(2.0, 1.5), [2, 3]);
}
