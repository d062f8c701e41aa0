using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Predictive;

/// <summary>
/// y in {0..C-1} with p = softmax(f): log p(y | f) = f_y - logsumexp(f). Outputs [N, C] logits, targets [N] int64.
/// </summary>
public sealed class CategoricalLikelihood : Likelihood
{
    internal CategoricalLikelihood() : base(nameof(CategoricalLikelihood)) { }

    /// <inheritdoc/>
    public override Tensor LogLikelihood(Tensor output, Tensor target)
    {
        RequireRows(output, target);
        Validation.Check.Argument(target.dtype == ScalarType.Int64 && target.dim() == 1, nameof(CategoricalLikelihood), "target",
            $"dtype {target.dtype}, shape {Distributions.Distribution.ShapeText(target.shape)}", "int64 class indices of shape [N]");
        using var scope = NewDisposeScope();
        return (-nn.functional.cross_entropy(output, target, reduction: nn.Reduction.None)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override PredictiveSamples Predictive(Tensor outputs) => PredictiveSamples.FromLogits(outputs);

    /// <inheritdoc/>
    public override LikelihoodSpec Describe() => new(nameof(CategoricalLikelihood));
}
