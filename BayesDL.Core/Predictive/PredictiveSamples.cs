using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Predictive;

/// <summary>
/// T stochastic predictions for N inputs and the uncertainty they imply (shared by every inference
/// method; see <see cref="IStochasticPredictor"/>). For classification with probabilities p_t [N, C]:
/// predictive mean p̄ = (1/T) sum_t p_t; predictive entropy H[p̄] (total uncertainty); expected entropy
/// (1/T) sum_t H[p_t] (aleatoric); mutual information I = H[p̄] - (1/T) sum_t H[p_t] &gt;= 0 (epistemic,
/// BALD; Houlsby et al. 2011, Gal et al. 2017). For regression with means mu_t and predicted variances
/// s2_t, by the law of total variance: aleatoric = (1/T) sum_t s2_t, epistemic = (1/T) sum_t (mu_t - mu̅)^2,
/// total = aleatoric + epistemic (Kendall &amp; Gal 2017). Entropies are in nats. Owns its tensors.
/// </summary>
public sealed class PredictiveSamples : IDisposable
{
    PredictiveSamples(PredictiveKind kind, Tensor samples, Tensor? variances)
    {
        Kind = kind; Samples = samples; Variances = variances;
    }

    /// <summary>Classification or regression.</summary>
    public PredictiveKind Kind { get; }

    /// <summary>Probabilities [T, N, C] (classification) or means [T, N, D] (regression).</summary>
    public Tensor Samples { get; }

    /// <summary>Predicted aleatoric variances [T, N, D] (regression with a noise model), else null.</summary>
    public Tensor? Variances { get; }

    /// <summary>T, the number of stochastic predictions.</summary>
    public long SampleCount => Samples.shape[0];

    /// <summary>N, the number of inputs.</summary>
    public long Count => Samples.shape[1];

    /// <summary>
    /// Takes ownership of class probabilities [T, N, C] (each row on the simplex, checked within 1e-3).
    /// For a binary model with one sigmoid output, stack [1 - p, p] first.
    /// </summary>
    public static PredictiveSamples Classification(Tensor probabilities)
    {
        RequireRank3(probabilities, "probabilities", "[T, N, C]");
        Check.InRange(probabilities, 0.0, 1.0, nameof(PredictiveSamples), "probabilities");
        using (var scope = NewDisposeScope())
        {
            double worst = (probabilities.sum(-1) - 1.0).abs().max().to(ScalarType.Float64).item<double>();
            Check.Argument(worst <= 1e-3, nameof(PredictiveSamples), "probabilities",
                $"a row summing to 1 {(worst >= 0 ? "+" : "")}{worst:G4}", "rows (last dimension) that sum to 1",
                "Apply softmax to logits, or use PredictiveSamples.FromLogits.");
        }
        return new(PredictiveKind.Classification, probabilities, null);
    }

    /// <summary>Softmax over the last dimension of logits [T, N, C]; does not take ownership of <paramref name="logits"/>.</summary>
    public static PredictiveSamples FromLogits(Tensor logits)
    {
        RequireRank3(logits, "logits", "[T, N, C]");
        Check.Finite(logits, nameof(PredictiveSamples), "logits");
        return new(PredictiveKind.Classification, logits.detach().softmax(-1), null);
    }

    /// <summary>
    /// Takes ownership of regression means [T, N, D] and, when the model predicts its noise, variances
    /// of the same shape (&gt;= 0; a fixed or homoscedastic noise variance can be passed expanded).
    /// </summary>
    public static PredictiveSamples Regression(Tensor means, Tensor? variances = null)
    {
        RequireRank3(means, "means", "[T, N, D]");
        Check.Finite(means, nameof(PredictiveSamples), "means");
        if (variances is not null)
        {
            Check.Argument(variances.shape.SequenceEqual(means.shape), nameof(PredictiveSamples), "variances",
                "shape " + Check.Shape(variances.shape), $"the shape of means {Check.Shape(means.shape)}");
            Check.InRange(variances, 0.0, double.MaxValue, nameof(PredictiveSamples), "variances");
        }
        return new(PredictiveKind.Regression, means, variances);
    }

    /// <summary>Predictive mean over the T samples: [N, C] probabilities or [N, D] means.</summary>
    public Tensor Mean() => Samples.mean(new long[] { 0 });

    /// <summary>H[p̄] = -sum_c p̄_c log p̄_c per input, shape [N] (classification).</summary>
    public Tensor PredictiveEntropy()
    {
        RequireKind(PredictiveKind.Classification, nameof(PredictiveEntropy));
        using var scope = NewDisposeScope();
        return Entropy(Mean()).MoveToOuterDisposeScope();
    }

    /// <summary>(1/T) sum_t H[p_t] per input, shape [N]: the aleatoric part (classification).</summary>
    public Tensor ExpectedEntropy()
    {
        RequireKind(PredictiveKind.Classification, nameof(ExpectedEntropy));
        using var scope = NewDisposeScope();
        return Entropy(Samples).mean(new long[] { 0 }).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mutual information between prediction and model, H[p̄] - E_t H[p_t], shape [N]: the epistemic part
    /// (BALD). Clamped at 0 against float round-off (it is non-negative by Jensen's inequality).
    /// </summary>
    public Tensor MutualInformation()
    {
        RequireKind(PredictiveKind.Classification, nameof(MutualInformation));
        using var scope = NewDisposeScope();
        return (PredictiveEntropy() - ExpectedEntropy()).clamp_min(0.0).MoveToOuterDisposeScope();
    }

    /// <summary>(1/T) sum_t s2_t, shape [N, D]; zeros when the model predicts no noise (regression).</summary>
    public Tensor AleatoricVariance()
    {
        RequireKind(PredictiveKind.Regression, nameof(AleatoricVariance));
        return Variances is null ? zeros_like(Samples[0]) : Variances.mean(new long[] { 0 });
    }

    /// <summary>(1/T) sum_t (mu_t - mu̅)^2, shape [N, D]: spread of the means across samples (regression).</summary>
    public Tensor EpistemicVariance()
    {
        RequireKind(PredictiveKind.Regression, nameof(EpistemicVariance));
        return Samples.var(0, unbiased: false);
    }

    /// <summary>Aleatoric + epistemic variance, the variance of the predictive mixture, shape [N, D].</summary>
    public Tensor TotalVariance()
    {
        using var scope = NewDisposeScope();
        return (AleatoricVariance() + EpistemicVariance()).MoveToOuterDisposeScope();
    }

    /// <summary>The class with the highest mean probability, shape [N] int64 (classification).</summary>
    public Tensor PredictedClass()
    {
        RequireKind(PredictiveKind.Classification, nameof(PredictedClass));
        using var scope = NewDisposeScope();
        return Mean().argmax(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Samples.Dispose();
        Variances?.Dispose();
    }

    // -sum p log p with 0 log 0 = 0: clamping p inside the log leaves 0 * finite = 0.
    static Tensor Entropy(Tensor p) => -(p * p.clamp_min(1e-30).log()).sum(-1);

    void RequireKind(PredictiveKind kind, string member)
    {
        if (Kind != kind)
            throw new InvalidOperationException($"{nameof(PredictiveSamples)}.{member} needs {kind} samples; these are {Kind}.");
    }

    static void RequireRank3(Tensor t, string parameter, string expected) =>
        Check.Argument(t.dim() == 3, nameof(PredictiveSamples), parameter, "shape " + Check.Shape(t.shape),
            $"a tensor of shape {expected} (samples first)", "Stack the T predictions along a new first dimension.");
}
