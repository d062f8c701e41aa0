namespace BayesDL.Mcmc;

/// <summary>
/// Settings of <see cref="HamiltonianMonteCarlo.Sample"/> (static HMC, Neal 2011) and <see cref="NoUTurnSampler.Sample"/> with Stan-style
/// warm-up (Hoffman &amp; Gelman 2014, sec. 3.2; Stan reference manual, "HMC algorithm parameters").
/// </summary>
/// <param name="Samples">Draws kept per chain after warm-up.</param>
/// <param name="Warmup">Warm-up iterations per chain (discarded): step size and mass matrix are adapted here.</param>
/// <param name="Chains">Independent chains, each with its own warm-up; their positions are evaluated together in batched calls.</param>
/// <param name="StepSize">Leapfrog step size epsilon: the starting point of adaptation, or the step size itself when
/// <paramref name="AdaptStepSize"/> is false.</param>
/// <param name="LeapfrogSteps">Leapfrog steps L per proposal (the maximum when <paramref name="RandomizeSteps"/>); the trajectory
/// length is L epsilon.</param>
/// <param name="TargetAcceptance">delta, the mean Metropolis acceptance probability dual averaging aims at (Stan: 0.8).</param>
/// <param name="AdaptStepSize">Adapt epsilon by dual averaging during warm-up.</param>
/// <param name="AdaptMassMatrix">Estimate the inverse mass matrix (the posterior variances, or covariance with
/// <paramref name="DenseMassMatrix"/>) in Stan's doubling windows.</param>
/// <param name="RandomizeSteps">
/// Each iteration draws its number of steps uniformly from 1..L (Neal 2011, sec. 5.4, on randomising the trajectory length). A fixed
/// trajectory length can resonate with a near-Gaussian posterior: after warm-up preconditions it to unit scale, L epsilon near
/// 2 pi returns the chain to where it started and ESS collapses. Random lengths average the returns out.
/// </param>
/// <param name="StepSizeJitter">Each iteration uses epsilon (1 + j u), u ~ U(-1, 1) (Stan's stepsize_jitter); 0 disables.</param>
/// <param name="InitRadius">Chains start uniformly in [-r, r]^D (Stan's default r = 2) unless an initial position is given.</param>
/// <param name="MaxEnergyError">A proposal with H(end) - H(start) above this (or not finite) counts as divergent (Stan: 1000).</param>
/// <param name="MaxTreeDepth">NUTS only (<see cref="NoUTurnSampler"/>): at most 2^depth leapfrog steps per iteration (Stan: 10).</param>
/// <param name="Seed">Seeds momenta, initial points, jitter and the accept/reject draws.</param>
/// <param name="DenseMassMatrix">
/// Adapt a dense inverse mass matrix, the posterior covariance (Stan's <c>metric = dense_e</c>, NumPyro's <c>dense_mass</c>),
/// instead of its diagonal: a posterior whose coordinates are linearly correlated (regression coefficients of correlated
/// predictors) then looks isotropic to the sampler, which takes longer steps and shorter trees. It costs D x D numbers per
/// chain and a D x D product per leapfrog step, so it is offered up to 2,000 dimensions; each window's covariance needs more
/// draws than D to be well estimated (Stan's windows of 25, 50, 100, ... draws, shrunk while short).
/// </param>
public sealed record HmcOptions(int Samples = 1000, int Warmup = 500, int Chains = 4, double StepSize = 0.1, int LeapfrogSteps = 10,
                                double TargetAcceptance = 0.8, bool AdaptStepSize = true, bool AdaptMassMatrix = true,
                                bool RandomizeSteps = true, double StepSizeJitter = 0.0, double InitRadius = 2.0,
                                double MaxEnergyError = 1000.0, long Seed = 0, int MaxTreeDepth = 10, bool DenseMassMatrix = false)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting.</summary>
    public void Validate()
    {
        const string who = nameof(HmcOptions);
        Validation.Check.Positive(Samples, who, nameof(Samples), "Keep enough draws per chain for the ESS you need, e.g. 1000.");
        Validation.Check.Argument(Warmup >= 0, who, nameof(Warmup), Warmup.ToString(), ">= 0",
            "Use about as many warm-up iterations as draws (e.g. 500); adaptation needs them.");
        Validation.Check.Positive(Chains, who, nameof(Chains), "Run at least one chain; four make R-hat meaningful.");
        Validation.Check.Positive(StepSize, who, nameof(StepSize), "Start from 0.1; warm-up adapts it.");
        Validation.Check.Positive(LeapfrogSteps, who, nameof(LeapfrogSteps), "Use about 10 leapfrog steps per proposal.");
        Validation.Check.Argument(TargetAcceptance > 0 && TargetAcceptance < 1, who,
            nameof(TargetAcceptance), TargetAcceptance.ToString("R"),
            "in (0, 1)", "Stan's default 0.8 suits most targets; raise it (0.9-0.99) for difficult geometry.");
        Validation.Check.Argument(StepSizeJitter >= 0 && StepSizeJitter < 1, who, nameof(StepSizeJitter),
            StepSizeJitter.ToString("R"), "in [0, 1)", "Use 0 (no jitter) or a small fraction such as 0.1.");
        Validation.Check.Positive(InitRadius, who, nameof(InitRadius), "Stan starts chains in [-2, 2]^D.");
        Validation.Check.Positive(MaxEnergyError, who, nameof(MaxEnergyError), "Stan counts an energy error above 1000 as divergent.");
        Validation.Check.Argument(MaxTreeDepth >= 1 && MaxTreeDepth <= 30, who, nameof(MaxTreeDepth), MaxTreeDepth.ToString(), "in [1, 30]",
            "Stan's default 10 allows 1023 leapfrog steps per iteration.");
    }
}
