using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// The observation model p_theta(x | z) of a latent-variable model: it reads the raw output of a decoder
/// network (logits, means, log-scales) and scores flat data x of shape <c>[..., Features]</c>.
/// The decoder output is laid out parameter-major, <c>[..., ParametersPerFeature * Features]</c>
/// (all first parameters, then all second ones), which is also how a convolutional decoder's channels flatten.
/// </summary>
public abstract class DecoderLikelihood
{
    /// <summary>The name used in messages.</summary>
    public abstract string Name { get; }

    /// <summary>How many decoder outputs each data feature needs (1 for Bernoulli logits, 2 for mean and log-scale, K
    /// for K categories).</summary>
    public abstract long ParametersPerFeature { get; }

    /// <summary>log p(x | decoder output) summed over the features: shape <c>x.shape[..^1]</c> after broadcasting.</summary>
    public abstract Tensor LogLikelihood(Tensor decoderOutput, Tensor x);

    /// <summary>E[x | decoder output], shape <c>[..., Features]</c>: what reconstructions and generated images show.</summary>
    public abstract Tensor Mean(Tensor decoderOutput);

    /// <summary>Checks that data lie in the support (an <see cref="ArgumentException"/> naming the offending value otherwise).</summary>
    public abstract void CheckSupport(Tensor x, string component);
}
