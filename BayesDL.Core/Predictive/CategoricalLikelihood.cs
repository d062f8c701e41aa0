using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Predictive;

/// <summary>
/// y in {0..C-1} with p = softmax(f): log p(y | f) = f_y - logsumexp(f). Outputs [N, C] logits, targets [N] int64.
/// Targets are checked before the engine sees them: int64 class indices of shape [N], each in [0, C).
/// </summary>
public sealed class CategoricalLikelihood : Likelihood
{
    internal CategoricalLikelihood() : base(nameof(CategoricalLikelihood)) { }

    /// <inheritdoc/>
    public override Tensor LogLikelihood(Tensor output, Tensor target)
    {
        RequireRows(output, target);
        Validation.Check.Argument(target.dtype == ScalarType.Int64 && target.dim() == 1, nameof(CategoricalLikelihood), "target",
            $"dtype {target.dtype}, shape {Check.Shape(target.shape)}", "int64 class indices of shape [N]",
            target.is_floating_point()
                ? "Class labels are whole numbers 0..C-1: convert them with targets.to(ScalarType.Int64) (F#: .to_type), or use a " +
                  "Gaussian likelihood for real-valued targets."
                : "Give one int64 class index per row: targets.to(ScalarType.Int64), flattened to [N].");
        long classes = output.shape[^1];
        Validation.Check.Satisfies(target, t => t.ge(0).logical_and(t.lt(classes)), nameof(CategoricalLikelihood), "target",
            $"a class index in [0, {classes - 1}] (the network outputs {classes} class logits)",
            "Number the classes 0..C-1, or give the last layer one output per class.");
        using var scope = NewDisposeScope();
        return (-nn.functional.cross_entropy(output, target, reduction: nn.Reduction.None)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override PredictiveSamples Predictive(Tensor outputs) => PredictiveSamples.FromLogits(outputs);

    /// <inheritdoc/>
    public override LikelihoodSpec Describe() => new(LikelihoodKind.Categorical);
}
