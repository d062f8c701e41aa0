namespace BayesDL.Layers;

/// <summary>How a Bayesian layer turns weight noise into a differentiable output sample.</summary>
public enum GradientEstimator
{
    /// <summary>
    /// Sample W = mu + sigma * eps once per forward pass (per weight draw), shared by the whole minibatch
    /// (Blundell et al. 2015). Unbiased; gradient variance does not fall with the batch size.
    /// </summary>
    Reparameterization,

    /// <summary>
    /// Sample the pre-activations instead of the weights: b = x mu^T + sqrt(x^2 (sigma^2)^T) * eps, independently
    /// per example (Kingma, Salimans &amp; Welling 2015). Same marginals per example, lower variance, cheaper.
    /// </summary>
    LocalReparameterization,

    /// <summary>
    /// One shared perturbation dW = sigma * eps decorrelated per example by random signs:
    /// y = x mu^T + ((x ∘ s) dW^T) ∘ r, s, r uniform on {-1, +1} (Wen et al. 2018). Unbiased, lower variance.
    /// </summary>
    Flipout,
}
