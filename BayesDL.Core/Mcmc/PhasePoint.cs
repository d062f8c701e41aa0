namespace BayesDL.Mcmc;

/// <summary>A point of the Hamiltonian flow on the host: position q, momentum p, gradient of log p~ at q and log p~(q).</summary>
internal sealed record PhasePoint(double[] Q, double[] P, double[] G, double LogDensity)
{
    /// <summary>H = -log p~(q) + p^T M^-1 p / 2 under <paramref name="metric"/>.</summary>
    internal double Hamiltonian(Metric metric) => 0.5 * metric.Inner(P, P) - LogDensity;
}
