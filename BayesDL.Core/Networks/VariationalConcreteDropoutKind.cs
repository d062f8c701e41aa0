using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind VariationalConcreteDropout: concrete dropout with the KL of its prior length-scale. A model file records
/// LengthScale, the options (rebuilt from the length-scale and initial p; kept for readers) and the wrapped layer. No
/// functional form: it is random given the weights.
/// </summary>
internal sealed class VariationalConcreteDropoutKind : LayerKind
{
    public override string Type => nameof(VariationalConcreteDropout);
    public override System.Type Module => typeof(VariationalConcreteDropout);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var v = (VariationalConcreteDropout)module;
        return new(Type, [], null, Settings: new() { ["LengthScale"] = v.LengthScale }, Concrete: v.Dropout.Options,
            Inner: inner(v.Dropout.Layer));
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) => BayesNN.VariationalConcreteDropout(reading.Inner(),
        reading.Setting("LengthScale"), reading.Required(reading.Record.Concrete, "Concrete options").InitialP);

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() =>
        (BayesNN.VariationalConcreteDropout(nn.Linear(3, 2), lengthScale: 0.5, initialP: 0.2), [3]);
}
