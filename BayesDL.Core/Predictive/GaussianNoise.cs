namespace BayesDL.Predictive;

/// <summary>How a Gaussian likelihood's noise sigma is obtained.</summary>
public enum GaussianNoise
{
    /// <summary>A known constant sigma.</summary>
    Fixed,

    /// <summary>One sigma for all inputs, learned with the weights (point estimate).</summary>
    Homoscedastic,

    /// <summary>
    /// Predicted per input: the network outputs [N, 2D], the mean and a raw scale with sigma = softplus(raw) + 1e-6
    /// (Kendall &amp; Gal 2017; softplus rather than exp keeps the loss's gradient bounded).
    /// </summary>
    Heteroscedastic,
}
