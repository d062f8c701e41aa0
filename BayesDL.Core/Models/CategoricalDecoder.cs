using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// Each feature is one of K levels (a K-way softmax per pixel, as in PixelCNN-style decoders): grey levels
/// x in [0, 1] are quantised to k = round(x (K - 1)), and log p(x | z) = sum_i log softmax(l_i)[k_i], with the
/// decoder output laid out as K blocks of per-feature logits. The mean is E[k] / (K - 1), back in [0, 1].
/// </summary>
public sealed class CategoricalDecoder : DecoderLikelihood
{
    /// <summary>A categorical over <paramref name="levels"/> grey levels (at least 2).</summary>
    public CategoricalDecoder(int levels = 16)
    {
        Check.Argument(levels >= 2, nameof(CategoricalDecoder), "levels", levels.ToString(), "at least 2");
        Levels = levels;
    }

    /// <summary>The number of categories K.</summary>
    public int Levels { get; }

    /// <inheritdoc/>
    public override string Name => "CategoricalDecoder";

    /// <inheritdoc/>
    public override long ParametersPerFeature => Levels;

    /// <inheritdoc/>
    public override Tensor LogLikelihood(Tensor decoderOutput, Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor logp = LogProbabilities(decoderOutput);                       // [..., K, F]
        Tensor k = (x * (Levels - 1)).round().to(ScalarType.Int64).expand(logp.shape[..^2].Append(logp.shape[^1]).ToArray());
        return logp.gather(-2, k.unsqueeze(-2)).squeeze(-2).sum(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean(Tensor decoderOutput)
    {
        using var scope = NewDisposeScope();
        Tensor p = LogProbabilities(decoderOutput).exp();
        Tensor levels = arange(Levels, dtype: p.dtype, device: p.device).unsqueeze(-1) / (Levels - 1.0);
        return (p * levels).sum(-2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override void CheckSupport(Tensor x, string component) => Check.InRange(x, 0, 1, component, "x");

    Tensor LogProbabilities(Tensor output)
    {
        long features = output.shape[^1] / Levels;
        long[] shape = output.shape[..^1].Concat(new[] { (long)Levels, features }).ToArray();
        return output.reshape(shape).log_softmax(-2);
    }
}
