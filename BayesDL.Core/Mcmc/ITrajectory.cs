namespace BayesDL.Mcmc;

/// <summary>
/// One Markov transition of one chain as a coroutine (<see cref="StaticTrajectory"/> for HMC, <see cref="NutsTrajectory"/> for
/// NUTS): <see cref="Run"/> yields the positions whose gradients it needs and ends with <see cref="Sample"/> set.
/// </summary>
internal interface ITrajectory
{
    /// <summary>The transition from <paramref name="start"/>, whose momentum has been drawn; yields positions to evaluate.</summary>
    IEnumerable<GradientRequest> Run(PhasePoint start);

    /// <summary>The next state, set when <see cref="Run"/> has finished.</summary>
    PhasePoint? Sample { get; }

    /// <summary>The statistic dual averaging drives towards the target acceptance rate.</summary>
    double AcceptanceStatistic { get; }

    /// <summary>Where the trajectory diverged (its energy error exceeded the threshold), or null.</summary>
    double[]? DivergedFrom { get; }

    /// <summary>Leapfrog steps taken (= gradient evaluations).</summary>
    int Steps { get; }
}
