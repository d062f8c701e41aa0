namespace BayesDL.Inference;

/// <summary>What a network's raw output [N, K] means, so its T stochastic outputs can become <see cref="PredictiveSamples"/>.</summary>
public enum ModelOutput
{
    /// <summary>Class logits [N, C]; probabilities are softmax over the last dimension.</summary>
    Logits,

    /// <summary>Regression means [N, D] without a noise model (aleatoric variance 0).</summary>
    Mean,

    /// <summary>
    /// Heteroscedastic regression (Kendall &amp; Gal 2017): [N, 2D], the first D columns the means μ(x), the last D
    /// the log-variances s(x) = log σ²(x) of the Gaussian noise, trained with ½ exp(−s)(y − μ)² + ½ s.
    /// </summary>
    MeanAndLogVariance,
}
