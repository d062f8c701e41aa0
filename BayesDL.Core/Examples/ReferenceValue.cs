namespace BayesDL.Examples;

/// <summary>A reference posterior's summary of one scalar parameter (posteriordb: 10 Stan NUTS chains, 10,000 draws).</summary>
/// <param name="Name">Stan's name, "beta[2]".</param>
/// <param name="Mean">Reference posterior mean.</param>
/// <param name="StdDev">Reference posterior standard deviation.</param>
/// <param name="Mcse">Monte Carlo standard error of the reference mean.</param>
public sealed record ReferenceValue(string Name, double Mean, double StdDev, double Mcse)
{
    /// <summary>
    /// posteriordb's judgement of an estimate: |mean - reference mean| &lt;= 4 sqrt(MCSE^2 + reference MCSE^2) and the sd within 10%
    /// of the reference sd. Returns null when both hold, else what failed.
    /// </summary>
    public string? Judge(double mean, double stdDev, double mcse)
    {
        double bound = 4 * Math.Sqrt(mcse * mcse + Mcse * Mcse);
        var failures = new List<string>();
        if (!(Math.Abs(mean - Mean) <= bound)) failures.Add($"mean {mean:G5} vs reference {Mean:G5} (allowed {bound:G3})");
        if (!(Math.Abs(stdDev - StdDev) <= 0.1 * StdDev)) failures.Add($"sd {stdDev:G4} vs reference {StdDev:G4} (more than 10% off)");
        return failures.Count == 0 ? null : $"{Name}: {string.Join("; ", failures)}";
    }
}
