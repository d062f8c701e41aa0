namespace BayesDL.Layers;

/// <summary>
/// Settings of a mean-field Gaussian Bayesian layer q(w) = prod N(mu, sigma^2), sigma = softplus(rho).
/// </summary>
/// <param name="Estimator">Gradient estimator (default local reparameterization: cheapest and lowest variance for dense layers).</param>
/// <param name="Prior">Weight prior; null means N(0, 1).</param>
/// <param name="InitialRho">Initial rho for every weight: sigma = softplus(-5) ≈ 0.0067, small so training starts near a
/// deterministic net.</param>
/// <param name="Bias">Whether the layer has a bias.</param>
/// <param name="BayesianBias">Whether the bias has a posterior (and prior) like the weights, or is a plain point estimate.</param>
/// <param name="KLSamples">Monte Carlo draws for KL(q || p) when the (Normal, prior) pair has no closed form (&gt;= 2).</param>
public sealed record BayesLayerOptions(
    GradientEstimator Estimator = GradientEstimator.LocalReparameterization,
    PriorSpec? Prior = null,
    double InitialRho = -5.0,
    bool Bias = true,
    bool BayesianBias = true,
    int KLSamples = 2)
{
    /// <summary>The prior in use: <see cref="Prior"/> or N(0, 1).</summary>
    public PriorSpec EffectivePrior => Prior ?? PriorSpec.Normal();

    internal void Validate(string layer)
    {
        string component = $"{nameof(BayesLayerOptions)} of {layer}";
        Validation.Check.Argument(double.IsFinite(InitialRho) && InitialRho < 20, component, nameof(InitialRho), InitialRho.ToString("R"),
            "finite and < 20 (sigma = softplus(rho); rho around -5 gives sigma ≈ 0.007)",
            "Use -5 (the default) to start near a deterministic net.");
        Validation.Check.Argument(KLSamples >= 2, component, nameof(KLSamples), KLSamples.ToString(),
            ">= 2 (a Monte Carlo KL needs two draws)", "Use 2 or more draws (more lower the KL estimate's variance).");
        Validation.Check.Argument(Enum.IsDefined(Estimator), component, nameof(Estimator),
            Estimator.ToString(), "a GradientEstimator value",
            "Use GradientEstimator.LocalReparameterization for dense layers or GradientEstimator.Flipout for convolutions.");
    }
}
