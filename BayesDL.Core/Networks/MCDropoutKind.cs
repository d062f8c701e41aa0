using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind MCDropout: Bernoulli masks per element that stay on in evaluation mode (Gal &amp; Ghahramani 2016). A model
/// file records P (and whether it samples in evaluation mode). No functional form: it is random given the weights.
/// </summary>
internal sealed class MCDropoutKind : LayerKind
{
    public override string Type => nameof(MCDropout);
    public override System.Type Module => typeof(MCDropout);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner) =>
        new(Type, [], null, Settings: new() { ["P"] = ((MCDropout)module).P });

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) =>
        BayesNN.MCDropout(reading.Setting("P"), reading.Record.Name ?? nameof(MCDropout));

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (BayesNN.MCDropout(0.3), [6]);
}

/// <summary>MC dropout: Bernoulli masks that stay on in evaluation mode; the shape passes through.</summary>
internal sealed record MCDropoutSpec(double Rate) : LayerSpec
{
    public override string Name => $"MCDropout(p = {Rate})";
    public override bool IsMonteCarlo => true;
    internal override string? Invalid() => Rate is >= 0 and < 1 ? null : $"{Name}: the rate p must be in [0, 1); found {Rate}.";
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(input.ToArray());
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => BayesNN.MCDropout(Rate);
}
