namespace BayesDL.Mcmc;

/// <summary>A point of the Hamiltonian flow on the host: position q, momentum p, gradient of log p~ at q and log p~(q).</summary>
internal sealed record PhasePoint(double[] Q, double[] P, double[] G, double LogDensity)
{
    /// <summary>H = -log p~(q) + p^T M^-1 p / 2 for the diagonal inverse mass <paramref name="inverseMass"/>.</summary>
    internal double Hamiltonian(double[] inverseMass)
    {
        double kinetic = 0;
        for (int i = 0; i < P.Length; i++) kinetic += inverseMass[i] * P[i] * P[i];
        return 0.5 * kinetic - LogDensity;
    }
}
