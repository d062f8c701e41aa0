using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Predictive;

/// <summary>
/// y in {0, 1} with p = sigmoid(f): log p(y | f) = y log sigmoid(f) + (1 - y) log sigmoid(-f), computed from the
/// logit without forming probabilities (stable for large |f|). Outputs [N] or [N, 1]; targets of the same count.
/// </summary>
public sealed class BernoulliLikelihood : Likelihood
{
    internal BernoulliLikelihood() : base(nameof(BernoulliLikelihood)) { }

    /// <inheritdoc/>
    public override Tensor LogLikelihood(Tensor output, Tensor target)
    {
        RequireRows(output, target);
        using var scope = NewDisposeScope();
        Tensor f = output.reshape(output.shape[0]);
        Tensor y = target.reshape(target.shape[0]).to(f.dtype);
        Validation.Check.InRange(y, 0, 1, nameof(BernoulliLikelihood), "target");
        return (-nn.functional.binary_cross_entropy_with_logits(f, y, reduction: nn.Reduction.None)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override PredictiveSamples Predictive(Tensor outputs)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Tensor p = outputs.reshape(outputs.shape[0], outputs.shape[1]).sigmoid();
        return PredictiveSamples.Classification(stack(new[] { 1 - p, p }, -1).MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override LikelihoodSpec Describe() => new(LikelihoodKind.Bernoulli);
}
