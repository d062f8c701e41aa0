using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind MCSpatialDropout: MC dropout of whole channels, on in evaluation mode. A model file records P (and
/// whether it samples in evaluation mode). No functional form: it is random given the weights.
/// </summary>
internal sealed class MCSpatialDropoutKind : LayerKind
{
    public override string Type => nameof(MCSpatialDropout);
    public override System.Type Module => typeof(MCSpatialDropout);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner) =>
        new(Type, [], null, Settings: new() { ["P"] = ((MCSpatialDropout)module).P });

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) =>
        BayesNN.MCSpatialDropout(reading.Setting("P"), reading.Record.Name ?? nameof(MCSpatialDropout));

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (BayesNN.MCSpatialDropout(0.3), [4, 3, 3]);
}
