using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The No-U-Turn Sampler (Hoffman &amp; Gelman 2014; multinomial variant of Betancourt 2017 as in Stan and Pyro): HMC
/// that picks its trajectory length per iteration by doubling until the path turns back, up to
/// <see cref="HmcOptions.MaxTreeDepth"/> doublings, so no <see cref="HmcOptions.LeapfrogSteps"/> has to be tuned.
/// Same warm-up as <see cref="HamiltonianMonteCarlo"/> (dual averaging towards the mean acceptance statistic over the
/// trajectory; windowed diagonal or dense mass matrix).
/// <para>
/// The chains advance asynchronously (<see cref="AdaptiveSampler"/>): every call of <see cref="LogDensity.Evaluate"/> evaluates
/// the next leapfrog position of each chain at once, whatever tree depth or iteration each one is at; a chain whose trajectory
/// ended starts its next one instead of waiting for the longest. On small models the cost of a call is mostly fixed per
/// tensor operation, so one call for all chains costs little more than one for a single chain. Each chain draws its
/// momenta, directions and proposals from its own generator, so the result does not depend on how the chains are scheduled.
/// </para>
/// </summary>
public static class NoUTurnSampler
{
    /// <summary>Runs NUTS; arguments, errors and result as for <see cref="HamiltonianMonteCarlo.Sample"/>.</summary>
    public static McmcResult Sample(LogDensity target, HmcOptions? options = null, Tensor? initialPosition = null)
    {
        options ??= new HmcOptions();
        return AdaptiveSampler.Run(nameof(NoUTurnSampler), target, options, initialPosition,
            (metric, eps, rng) => new NutsTrajectory(metric, eps, options.MaxTreeDepth, options.MaxEnergyError, rng));
    }
}
