using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Hamiltonian Monte Carlo (Duane et al. 1987; Neal 2011): draws from p(theta | y) proportional to p~(theta)
/// by simulating H(q, p) = -log p~(q) + p^T M^-1 p / 2 with fresh momenta p ~ N(0, M) and <see cref="HmcOptions.LeapfrogSteps"/>
/// leapfrog steps, accepting the end point with probability min(1, exp(H_start - H_end)). Gradients come from
/// autograd; the chains' positions are evaluated in one batched call per step (see <see cref="AdaptiveSampler"/>). Warm-up
/// adapts the step size by dual averaging and M^-1 (regularised posterior variances, or covariance: <see cref="Metric"/>) in
/// Stan's windows. This is how MCMC sidesteps the intractable evidence p(y): the acceptance ratio only involves ratios of p~,
/// in which p(y) cancels.
/// </summary>
public static class HamiltonianMonteCarlo
{
    /// <summary>
    /// Runs <see cref="HmcOptions.Chains"/> chains on <paramref name="target"/>. <paramref name="initialPosition"/>:
    /// [D] (all chains) or [chains, D]; default uniform in [-r, r]^D. Throws <see cref="ArgumentException"/> for bad
    /// options or a log density (or gradient) that is not finite at a chain's initial position.
    /// </summary>
    public static McmcResult Sample(LogDensity target, HmcOptions? options = null, Tensor? initialPosition = null)
    {
        options ??= new HmcOptions();
        return AdaptiveSampler.Run(nameof(HamiltonianMonteCarlo), target, options, initialPosition,
            (metric, eps, rng) => new StaticTrajectory(metric, eps,
                options.RandomizeSteps ? rng.Next(1, options.LeapfrogSteps + 1) : options.LeapfrogSteps, options.MaxEnergyError, rng));
    }
}
