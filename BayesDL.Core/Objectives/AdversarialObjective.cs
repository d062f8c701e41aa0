using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// Adversarial training with a proper scoring rule, the third ingredient of deep ensembles (Lakshminarayanan,
/// Pritzel &amp; Blundell, NeurIPS 2017, §2.3): per batch, ℓ(θ, x, y) + ℓ(θ, x′, y) with the fast gradient sign
/// adversarial x′ = x + ε · sign(∇_x ℓ(θ, x, y)) (Goodfellow et al. 2015), ℓ the negative log-likelihood and ε
/// 1% of the input range. It smooths the predictive distribution in a neighbourhood of the training data, which the
/// paper reports improves NLL and out-of-distribution uncertainty. x′ is treated as a constant (no gradient through
/// the sign).
/// </summary>
public sealed class AdversarialObjective
{
    /// <summary>
    /// An objective with perturbation size <paramref name="epsilon"/> &gt;= 0 (0.01 for inputs in [0, 1]) scoring
    /// outputs with <paramref name="likelihood"/> (default categorical: logits).
    /// </summary>
    public AdversarialObjective(double epsilon = 0.01, Likelihood? likelihood = null)
    {
        Check.Argument(double.IsFinite(epsilon) && epsilon >= 0, nameof(AdversarialObjective), nameof(epsilon), epsilon.ToString("R"),
            "a finite ε >= 0", "Use 1% of the input range, e.g. 0.01 for pixels in [0, 1].");
        Epsilon = epsilon;
        Likelihood = likelihood ?? Likelihood.Categorical();
    }

    /// <summary>ε, the size of the sign perturbation.</summary>
    public double Epsilon { get; }

    /// <summary>The observation model (its negative log-likelihood is the scoring rule).</summary>
    public Likelihood Likelihood { get; }

    /// <summary>The fast-gradient-sign inputs x + ε · sign(∇_x ℓ(θ, x, y)), detached; the model's parameter
    /// gradients are untouched.</summary>
    public Tensor AdversarialInputs(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor x = inputs.detach().requires_grad_(true);
        Tensor loss = -Likelihood.LogLikelihood(model.forward(x), targets).mean();
        Tensor gradient = autograd.grad(new[] { loss }, new[] { x })[0];
        return (inputs.detach() + gradient.sign() * Epsilon).MoveToOuterDisposeScope();
    }

    /// <summary>Mean NLL on the batch plus mean NLL on its adversarial counterpart, a differentiable scalar.</summary>
    public Tensor Loss(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        Check.Argument(inputs.dim() >= 1 && inputs.shape[0] > 0 && targets.shape[0] == inputs.shape[0], nameof(AdversarialObjective),
            nameof(targets), $"{targets.shape[0]} targets for {(inputs.dim() >= 1 ? inputs.shape[0] : 0)} inputs",
            "one target per input row");
        using var scope = NewDisposeScope();
        Tensor adversarial = AdversarialInputs(model, inputs, targets);
        Tensor clean = -Likelihood.LogLikelihood(model.forward(inputs), targets).mean();
        Tensor perturbed = -Likelihood.LogLikelihood(model.forward(adversarial), targets).mean();
        return (clean + perturbed).MoveToOuterDisposeScope();
    }
}
