using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind Softmax: exp(x_i) / sum_j exp(x_j) over one dimension (declared over the last); its outputs are
/// probabilities. A model file records the dimension as its one size.
/// </summary>
public sealed class SoftmaxKind : ElementwiseKind
{
    SoftmaxKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new SoftmaxKind().Spec;

    /// <inheritdoc />
    public override string Type => "Softmax";

    /// <inheritdoc />
    public override System.Type Module => typeof(Softmax);

    internal override bool OutputsProbabilities => true;
    internal override nn.Module<Tensor, Tensor> Create() => nn.Softmax(-1);

    internal override Func<Tensor, Tensor> Function(nn.Module module)
    {
        // The module's dimension counts from the batch; the functional form has the draws in front.
        long dim = ((Softmax)module).dim;
        return h => h.softmax(dim >= 0 ? dim + 1 : dim);
    }

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner) => new(Type, [((Softmax)module).dim], null);

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) => nn.Softmax(reading.Sizes(1)[0]);

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (nn.Softmax(1), [2, 3]);
}
