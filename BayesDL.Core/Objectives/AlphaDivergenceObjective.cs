using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// The data term of black-box α-divergence minimisation for MC dropout (Li &amp; Gal, "Dropout inference in Bayesian
/// neural networks with alpha-divergences", ICML 2017), per example:
/// ℓ_α(x, y) = −(1/α) log (1/K) Σ_k p(y | x, ω_k)^α, with ω_1..ω_K K dropout masks drawn for that example
/// (one forward pass over the batch replicated K times). As α → 0 it is the usual dropout (VI, KL(q‖p)) loss
/// −E_q log p(y | x, ω); at α = 1 it is the negative log of the K-sample MC predictive that prediction uses.
/// KL-VI is known to under-estimate and mis-place predictive mass; Li &amp; Gal found α = 0.5 gives better test
/// log-likelihood and calibration. Add the prior term (<see cref="Layers.MCDropoutPrior"/>) to the mean loss as usual.
/// </summary>
public sealed class AlphaDivergenceObjective
{
    /// <summary>
    /// An objective with divergence parameter <paramref name="alpha"/> &gt; 0 and <paramref name="samples"/> K
    /// masks per example, scoring outputs with <paramref name="likelihood"/> (default categorical: logits).
    /// </summary>
    public AlphaDivergenceObjective(double alpha = 0.5, int samples = 10, Likelihood? likelihood = null)
    {
        Check.Argument(double.IsFinite(alpha) && alpha > 0, nameof(AlphaDivergenceObjective), nameof(alpha), alpha.ToString("R"),
            "a finite α > 0", "Use 0.5 (Li & Gal 2017); for α → 0 train with the plain dropout loss instead.");
        Check.Positive(samples, nameof(AlphaDivergenceObjective), nameof(samples));
        Alpha = alpha;
        Samples = samples;
        Likelihood = likelihood ?? Likelihood.Categorical();
    }

    /// <summary>α of the divergence.</summary>
    public double Alpha { get; }

    /// <summary>K, the dropout masks per example.</summary>
    public int Samples { get; }

    /// <summary>The observation model.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>
    /// Mean over the batch of ℓ_α, a differentiable scalar. <paramref name="model"/> must draw fresh masks per row
    /// (training mode, or MC dropout layers), which makes the K replicas of each input K independent masks.
    /// </summary>
    public Tensor Loss(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        Check.Argument(inputs.dim() >= 1 && inputs.shape[0] > 0 && targets.shape[0] == inputs.shape[0], nameof(AlphaDivergenceObjective),
            nameof(targets), $"{targets.shape[0]} targets for {(inputs.dim() >= 1 ? inputs.shape[0] : 0)} inputs",
            "one target per input row");
        using var scope = NewDisposeScope();
        long b = inputs.shape[0];
        Tensor outputs = model.forward(Replicate(inputs));
        Tensor logLikelihood = Likelihood.LogLikelihood(outputs, Replicate(targets)).view(Samples, b);
        // log (1/K) Σ_k exp(α ℓ_k) by logsumexp, stable for any ℓ.
        Tensor perExample = -((logLikelihood * Alpha).logsumexp(0) - Math.Log(Samples)) / Alpha;
        return perExample.mean().MoveToOuterDisposeScope();
    }

    // Rows [k·B + i] = row i, as the vectorized predictor lays out samples.
    Tensor Replicate(Tensor t)
    {
        if (Samples == 1) return t;
        var reps = Enumerable.Repeat(1L, (int)t.dim()).ToArray();
        reps[0] = Samples;
        return t.repeat(reps);
    }
}
