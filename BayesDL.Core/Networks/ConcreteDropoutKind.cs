using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind ConcreteDropout: a learned dropout rate before a weight layer (Gal, Hron &amp; Kendall 2017). A model file
/// records its <see cref="ConcreteDropoutOptions"/> and the wrapped layer. No functional form: it is random given the weights.
/// </summary>
internal sealed class ConcreteDropoutKind : LayerKind
{
    public override string Type => nameof(ConcreteDropout);
    public override System.Type Module => typeof(ConcreteDropout);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var c = (ConcreteDropout)module;
        return new(Type, [], null, Concrete: c.Options, Inner: inner(c.Layer));
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) =>
        BayesNN.ConcreteDropout(reading.Inner(), reading.Required(reading.Record.Concrete, "Concrete options"));

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() =>
        (BayesNN.ConcreteDropout(nn.Linear(3, 2), new ConcreteDropoutOptions(InitialP: 0.3)), [3]);
}
