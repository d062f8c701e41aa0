using BayesDL.Builders;
using BayesDL.Layers;

namespace BayesDL.Mcmc;

/// <summary>
/// One dense layer of a <see cref="NetworkLogDensity"/>: its slice [Offset, Offset + Count) of theta (W [Out, In]
/// row-major, then b [Out]), its weight prior, and the activations that follow it.
/// </summary>
internal sealed record NetworkLayer(long In, long Out, bool Bias, long Offset, PriorSpec Prior, IReadOnlyList<Activation> Activations)
{
    /// <summary>Weights and biases of the layer.</summary>
    public long Count => In * Out + (Bias ? Out : 0);

    /// <summary>
    /// The dense layers of a validated declaration, in order. Only Linear, BayesLinear and activations (after a dense
    /// layer) have a functional form here; any other layer is an <see cref="ArgumentException"/> naming it.
    /// </summary>
    public static NetworkLayer[] From(SequentialBuilder builder)
    {
        var layers = new List<NetworkLayer>();
        var activations = new List<Activation>();
        long offset = 0;
        void Close()
        {
            if (layers.Count > 0) layers[^1] = layers[^1] with { Activations = activations.ToArray() };
            activations.Clear();
        }
        for (int i = 0; i < builder.Layers.Count; i++)
        {
            switch (builder.Layers[i])
            {
                case LinearSpec l:
                    Close();
                    layers.Add(new(l.In, l.Out, l.Bias, offset, builder.Prior, []));
                    offset += layers[^1].Count;
                    break;
                case BayesLinearSpec b:
                    Close();
                    layers.Add(new(b.In, b.Out, b.Bias, offset, b.Prior ?? builder.Prior, []));
                    offset += layers[^1].Count;
                    break;
                case ActivationSpec a when layers.Count > 0:
                    activations.Add(a.Kind);
                    break;
                case var other:
                    throw Validation.Check.Error(nameof(NetworkLogDensity), "builder", $"layer {i} '{other.Name}'",
                        "a fully connected network: Linear or BayesLinear layers, each optionally followed by activations",
                        "MCMC over a network supports dense layers only; remove dropout, convolutions and flatten (declare the input as a vector).");
            }
        }
        Close();
        return layers.ToArray();
    }
}
