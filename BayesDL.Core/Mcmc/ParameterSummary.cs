namespace BayesDL.Mcmc;

/// <summary>
/// Posterior summary of one coordinate over all chains' kept draws, with its diagnostics.
/// </summary>
/// <param name="Mean">Sample mean.</param>
/// <param name="StdDev">Sample standard deviation.</param>
/// <param name="Mcse">Monte Carlo standard error of the mean, sd / sqrt(ESS) (Vehtari et al. 2021, sec. 3.2).</param>
/// <param name="Ess">Effective sample size for the mean (<see cref="McmcDiagnostics.EffectiveSampleSize"/>).</param>
/// <param name="BulkEss">Rank-normalized bulk ESS (<see cref="McmcDiagnostics.BulkEffectiveSampleSize"/>).</param>
/// <param name="RHat">Rank-normalized split-R-hat (<see cref="McmcDiagnostics.SplitRHat"/>); &lt; 1.01 for well-mixed chains.</param>
public sealed record ParameterSummary(double Mean, double StdDev, double Mcse, double Ess, double BulkEss, double RHat)
{
    /// <summary>The summary of <c>chains[j][i]</c>, draw i of chain j.</summary>
    public static ParameterSummary Of(IReadOnlyList<double[]> chains)
    {
        double[] all = chains.SelectMany(c => c).ToArray();
        double mean = all.Average();
        double sd = Math.Sqrt(all.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, all.Length - 1));
        double ess = McmcDiagnostics.EffectiveSampleSize(chains);
        return new(mean, sd, sd / Math.Sqrt(ess), ess, McmcDiagnostics.BulkEffectiveSampleSize(chains), McmcDiagnostics.SplitRHat(chains));
    }
}
