namespace BayesDL.Posthoc;

/// <summary>How a <see cref="LaplacePosterior"/> turns its weight posterior into a predictive (Immer et al. 2021).</summary>
public enum LaplacePredictiveKind
{
    /// <summary>
    /// The linearised network (the GLM predictive): f(x; theta) ≈ f(x; theta*) + J(x)(theta - theta*), so f ~ N(f*, J Sigma J^T);
    /// closed form for regression, the probit approximation or Monte Carlo over f for classification (<see cref="GlmLink"/>).
    /// </summary>
    Glm,

    /// <summary>Monte Carlo over the weights: theta_s ~ N(theta*, Sigma), the network itself evaluated at each draw.</summary>
    Sampling,
}
