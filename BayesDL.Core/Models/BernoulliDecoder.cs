using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// Independent Bernoulli pixels with logits l from the decoder:
/// log p(x | z) = sum_i [x_i log sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i))] = -BCE(l, x).
/// As in Kingma &amp; Welling (2014) and the classic PyTorch VAE example, grey levels x in [0, 1] are scored
/// with the same cross-entropy (the continuous relaxation), so figures compare with published ones.
/// </summary>
public sealed class BernoulliDecoder : DecoderLikelihood
{
    /// <inheritdoc/>
    public override string Name => "BernoulliDecoder";

    /// <inheritdoc/>
    public override long ParametersPerFeature => 1;

    /// <inheritdoc/>
    public override Tensor LogLikelihood(Tensor decoderOutput, Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor target = x.expand(decoderOutput.shape);
        Tensor bce = nn.functional.binary_cross_entropy_with_logits(decoderOutput, target, reduction: nn.Reduction.None);
        return bce.sum(-1).neg().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean(Tensor decoderOutput) => decoderOutput.sigmoid();

    /// <inheritdoc/>
    public override void CheckSupport(Tensor x, string component) => Check.InRange(x, 0, 1, component, "x");
}
