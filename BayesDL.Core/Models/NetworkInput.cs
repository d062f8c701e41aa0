using BayesDL.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// What a network's first weight layer takes in, read from the layers themselves (a saved model records layers, not
/// the data shape): <see cref="Size"/> input features of a dense layer (BayesLinear, MultivariateBayesLinear, Linear,
/// or one wrapped in concrete dropout), or input channels of a convolution (BayesConv2d, Conv2d), whose input is
/// [N, Size, H, W] for any H and W large enough. Activations, dropout and Flatten before it change no feature count.
/// </summary>
/// <param name="Size">Input features (dense) or input channels (convolutional).</param>
/// <param name="IsConvolutional">True when the first weight layer is a convolution.</param>
public sealed record NetworkInput(long Size, bool IsConvolutional)
{
    /// <summary>The input of <paramref name="network"/>'s first weight layer, or null when its body holds no weight layer.</summary>
    public static NetworkInput? Of(BayesianNetwork network) => Find(network.Body)?.Input;

    /// <summary>
    /// The input of the first weight layer of <paramref name="network"/>, a <c>Sequential</c> (e.g. a deep ensemble's member), or null
    /// when it is another module or holds no weight layer.
    /// </summary>
    public static NetworkInput? Of(nn.Module<Tensor, Tensor> network) => network is Sequential body ? Find(body)?.Input : null;

    /// <summary>
    /// The first weight layer's input, the layer itself, whether a Flatten comes before it (then a dense layer takes the
    /// elements per example, not the last dimension), and whether every module before it is known to keep the feature
    /// count (activations, dropout, Flatten); when one is not (a user's own module), what the network takes is unknown.
    /// Null when the body holds no weight layer.
    /// </summary>
    internal static (NetworkInput Input, nn.Module Layer, bool Flattened, bool Known)? Find(Sequential body)
    {
        bool flattened = false, known = true;
        foreach (var m in body.children())
        {
            if (Describe(m) is { } input) return (input, m, flattened, known);
            flattened |= m is Flatten;
            known &= m is Flatten or MonteCarloDropoutLayer or Dropout or ReLU or Tanh or Sigmoid or Softplus or ELU or GELU or Softmax;
        }
        return null;
    }

    static NetworkInput? Describe(nn.Module m) => m switch
    {
        BayesLinear l => new(l.InFeatures, false),
        MultivariateBayesLinear l => new(l.InFeatures, false),
        Linear l => new(l.in_features, false),
        BayesConv2d c => new(c.InChannels, true),
        Conv2d c => new(c.in_channels, true),
        VariationalConcreteDropout v => Describe(v.Dropout.Layer),
        ConcreteDropout c => Describe(c.Layer),
        _ => null,
    };
}
