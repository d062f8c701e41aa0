using System.Runtime.CompilerServices;

namespace BayesDL.Mcmc;

/// <summary>
/// One static-HMC transition of one chain (Neal 2011, sec. 5.3.2): <paramref name="steps"/> leapfrog steps, then the end point
/// accepted with probability min(1, exp(H_start - H_end)), else the chain stays. A trajectory whose final energy error exceeds
/// <paramref name="maxEnergyError"/> (or is not finite) is divergent; static HMC does not track where inside it failed, so its
/// start is reported.
/// </summary>
internal sealed class StaticTrajectory(Metric metric, double stepSize, int steps, double maxEnergyError, Random rng)
    : ITrajectory
{
    /// <inheritdoc/>
    public PhasePoint? Sample { get; private set; }

    /// <summary>The Metropolis acceptance probability of the end point.</summary>
    public double AcceptanceStatistic { get; private set; }

    /// <inheritdoc/>
    public double[]? DivergedFrom { get; private set; }

    /// <inheritdoc/>
    public int Steps { get; private set; }

    /// <inheritdoc/>
    public IEnumerable<GradientRequest> Run(PhasePoint start)
    {
        var end = new StrongBox<PhasePoint?>(start);
        for (int s = 0; s < steps; s++)
        {
            foreach (GradientRequest request in Leapfrog.Step(end.Value!, stepSize, metric, end)) yield return request;
            Steps++;
        }
        double error = end.Value!.Hamiltonian(metric) - start.Hamiltonian(metric);
        AcceptanceStatistic = double.IsFinite(error) ? Math.Min(1, Math.Exp(-error)) : 0;
        if (!(error <= maxEnergyError)) DivergedFrom = start.Q;
        Sample = rng.NextDouble() < AcceptanceStatistic ? end.Value : start;
    }
}
