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
/// <see cref="MonteCarlo"/> is false. Create it with <see cref="McLayers.MCSpatialDropout"/>.
/// </summary>
public sealed class MCSpatialDropout : nn.Module<Tensor, Tensor>, IMonteCarloLayer
{
    internal MCSpatialDropout(double p, string name) : base(name)
    {
        Check.Argument(double.IsFinite(p) && p >= 0 && p < 1, nameof(MCSpatialDropout), "p", p.ToString("R"),
            "in [0, 1) (the probability of dropping a channel)", "Use e.g. 0.1 to 0.3 for convolutions.");
        P = p;
        RegisterComponents();
    }

    /// <summary>Probability p of dropping a whole channel.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public bool MonteCarlo { get; set; } = true;

    /// <summary>Explicit keep masks of shape [N, C, 1, ..., 1] instead of draws; null = draw.</summary>
    internal Func<long[], Tensor>? MaskSource { get; set; }

    /// <summary>Drops whole channels of an input [N, C, *] when sampling, else returns it unchanged.</summary>
    public override Tensor forward(Tensor input)
    {
        Check.Argument(input.dim() >= 3, nameof(MCSpatialDropout), "input", "shape (" + string.Join(", ", input.shape) + ")",
            "a feature map [N, C, spatial...] of rank >= 3", "Use MCDropout for [N, features] inputs.");
        if (P == 0 || !(training || MonteCarlo)) return input.alias();
        using var scope = NewDisposeScope();
        var shape = new long[input.dim()];
        shape[0] = input.shape[0]; shape[1] = input.shape[1];
        for (int d = 2; d < shape.Length; d++) shape[d] = 1;
        Tensor mask = DropoutMask.Get(MaskSource, shape, 1 - P, input, nameof(MCSpatialDropout));
        return input.mul(mask).div_(1 - P).MoveToOuterDisposeScope();
    }
}
