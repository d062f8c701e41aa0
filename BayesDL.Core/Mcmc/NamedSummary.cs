using BayesDL.Modeling;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Stan's summary of one scalar quantity of a <see cref="ModelPosterior"/> on the constrained scale: a parameter element
/// (<c>theta[3]</c>, 1-based as in Stan) or a deterministic quantity, over all chains' kept draws.
/// </summary>
/// <param name="Name">"tau", "theta[3]", "L[2,1]".</param>
/// <param name="Mean">Sample mean.</param>
/// <param name="StdDev">Sample standard deviation.</param>
/// <param name="Mcse">Monte Carlo standard error of the mean, sd / sqrt(ESS).</param>
/// <param name="Q5">5% quantile.</param>
/// <param name="Q50">Median.</param>
/// <param name="Q95">95% quantile.</param>
/// <param name="BulkEss">Rank-normalised bulk ESS (<see cref="McmcDiagnostics.BulkEffectiveSampleSize"/>).</param>
/// <param name="TailEss">Tail ESS: the smaller ESS of the indicators x &lt;= q5 and x &lt;= q95 (Vehtari et al. 2021, sec. 4.3).</param>
/// <param name="RHat">Rank-normalised split-R-hat.</param>
public sealed record NamedSummary(string Name, double Mean, double StdDev, double Mcse, double Q5, double Q50, double Q95,
                                  double BulkEss, double TailEss, double RHat)
{
    /// <summary>The summary of <c>chains[j][i]</c>, draw i of chain j.</summary>
    public static NamedSummary Of(string name, IReadOnlyList<double[]> chains)
    {
        ParameterSummary s = ParameterSummary.Of(chains);
        double[] sorted = chains.SelectMany(c => c).Order().ToArray();
        double q5 = Quantile(sorted, 0.05), q95 = Quantile(sorted, 0.95);
        double Indicator(double q) =>
            McmcDiagnostics.EffectiveSampleSize(chains.Select(c => c.Select(v => v <= q ? 1.0 : 0.0).ToArray()).ToArray());
        return new(name, s.Mean, s.StdDev, s.Mcse, q5, Quantile(sorted, 0.5), q95, s.BulkEss,
            Math.Min(Indicator(q5), Indicator(q95)), s.RHat);
    }

    /// <summary>
    /// One row per scalar element of <paramref name="model"/>'s parameters (in declaration order), then of its deterministic
    /// quantities, from named draws [chains, draws] ++ shape on the constrained scale (MCMC chains, or a guide's independent draws).
    /// </summary>
    internal static IReadOnlyList<NamedSummary> Table(Model model, IReadOnlyDictionary<string, Tensor> draws)
    {
        var rows = new List<NamedSummary>();
        foreach (string name in model.Parameters.Select(p => p.Name).Concat(model.DeterministicNames))
        {
            Tensor values = draws[name];
            long[] shape = values.shape[2..];
            int c = (int)values.shape[0], n = (int)values.shape[1];
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            double[] flat = AdaptiveSampler.Host(values.reshape(c, n, elements));
            for (long e = 0; e < elements; e++)
            {
                double[][] chains = Enumerable.Range(0, c)
                    .Select(j => Enumerable.Range(0, n).Select(i => flat[((long)j * n + i) * elements + e]).ToArray()).ToArray();
                rows.Add(Of(shape.Length == 0 ? name : $"{name}[{Index(e, shape)}]", chains));
            }
        }
        return rows;
    }

    static string Index(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = flat % shape[d] + 1; flat /= shape[d]; }
        return string.Join(",", index);
    }

    /// <summary>The p-quantile of sorted values, linearly interpolated (R's type 7, NumPy's default).</summary>
    static double Quantile(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        return lo + 1 < sorted.Length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }

    /// <summary>One row of a summary table.</summary>
    public override string ToString() =>
        $"{Name,-14} mean {Mean,10:G5}  sd {StdDev,9:G4}  mcse {Mcse,8:G3}  5% {Q5,9:G4}  50% {Q50,9:G4}  95% {Q95,9:G4}  bulk ESS " +
            $"{BulkEss,6:F0}  tail ESS {TailEss,6:F0}  R-hat {RHat:F3}";
}
