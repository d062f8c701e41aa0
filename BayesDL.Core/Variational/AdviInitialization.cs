namespace BayesDL.Variational;

/// <summary>Where <see cref="Advi.Fit"/> starts the Gaussian guide, and in which coordinates the optimizer moves it.</summary>
public enum AdviInitialization
{
    /// <summary>
    /// At the Laplace approximation N(x*, K^-1) of the unconstrained posterior: x* its mode, found by damped Newton ascent on
    /// log p~(x), K = -Hessian of log p~ at x* (the dense Hessian: P batched gradient evaluations per Newton step). The optimizer then
    /// moves the guide in the coordinates z = A^-1 (x - x*) whitened by the start's factor A (see <see cref="GaussianGuide"/>), so a
    /// posterior whose scales span 1e-3 to 1e2, or whose coordinates are strongly correlated, is fitted like a standard normal.
    /// When no mode is found (an unbounded density such as a funnel's, a Hessian that is not negative definite at the last point,
    /// or <see cref="AdviOptions.NewtonSteps"/> used up), the fit falls back to <see cref="Origin"/> and says so in
    /// <see cref="AdviPosterior.Start"/>.
    /// </summary>
    Laplace,

    /// <summary>
    /// At the unconstrained origin with Sigma = I, in the model's own coordinates (Stan's ADVI start, without its eta search).
    /// </summary>
    Origin,
}
