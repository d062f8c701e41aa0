using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Channel-wise ("spatial") Monte Carlo dropout for convolutional feature maps [N, C, *]: one
/// z_{n,c} ~ Bernoulli(1 - p) per example and channel, broadcast over the spatial positions,
/// y = x ⊙ z / (1 - p). Adjacent pixels are strongly correlated, so element-wise masks hardly remove
/// information from a feature map; dropping whole channels does (Tompson et al. 2015), and with dropout
/// kept on at test time this is the Bernoulli variational posterior over convolution filters
/// (Gal &amp; Ghahramani 2016, "Bayesian CNN"). Stays stochastic in evaluation mode unless
/// <see cref="MonteCarloDropoutLayer.MonteCarlo"/> is false. Create it with <see cref="BayesNN.MCSpatialDropout"/>.
/// </summary>
public sealed class MCSpatialDropout : MonteCarloDropoutLayer
{
    internal MCSpatialDropout(double p, string name)
        : base(p, name, "channel", "Use e.g. 0.1 to 0.3 for convolutions.")
    {
    }

    /// <summary>One mask entry per example and channel: [N, C, 1, ..., 1].</summary>
    private protected override long[] MaskShape(Tensor input)
    {
        Check.Argument(input.dim() >= 3, nameof(MCSpatialDropout), "input", "shape " + Check.Shape(input.shape),
            "a feature map [N, C, spatial...] of rank >= 3", "Use MCDropout for [N, features] inputs.");
        var shape = new long[input.dim()];
        shape[0] = input.shape[0]; shape[1] = input.shape[1];
        for (int d = 2; d < shape.Length; d++) shape[d] = 1;
        return shape;
    }
}

public static partial class BayesNN
{
    /// <summary>Channel-wise MC dropout for feature maps [N, C, *] (stays on in evaluation mode).</summary>
    public static MCSpatialDropout MCSpatialDropout(double p = 0.2, string name = "MCSpatialDropout") => new(p, name);
}
