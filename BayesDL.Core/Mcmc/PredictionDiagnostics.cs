using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Convergence of a sampler's predictions (<see cref="SgmcmcPosterior.Diagnostics"/>): for every input and output (a class probability,
/// or a regression mean), its draws grouped by chain (or by cycle of one chain) give a rank-normalized split-R-hat and a bulk ESS
/// (<see cref="McmcDiagnostics"/>); the worst R-hat and the smallest and median ESS over those quantities. Predictions, unlike weights,
/// are identifiable, so they can agree across chains that sit in different modes of the weights (Izmailov et al. 2021).
/// </summary>
/// <param name="Groups">How many chains or cycles.</param>
/// <param name="GroupedBy">"chains", "cycles" or "one chain (split halves)".</param>
/// <param name="DrawsPerGroup">Draws per group (cycles are cut to the shortest).</param>
/// <param name="Quantities">Predictions diagnosed (constant ones, where the diagnostics are undefined, are skipped).</param>
/// <param name="MaxRHat">The largest split-R-hat.</param>
/// <param name="MinEss">The smallest bulk ESS.</param>
/// <param name="MedianEss">The median bulk ESS.</param>
public sealed record PredictionDiagnostics(int Groups, string GroupedBy, int DrawsPerGroup, int Quantities, double MaxRHat, double MinEss,
                                           double MedianEss)
{
    /// <summary>
    /// The diagnostics of predictions [G x D, ..] drawn group after group (D draws of group 0, then of group 1, ...): every
    /// quantity's draws split by group give a rank-normalized split-R-hat and a bulk ESS; constant quantities are skipped.
    /// </summary>
    internal static PredictionDiagnostics Of(Tensor predictions, int groups, string groupedBy)
    {
        using var scope = NewDisposeScope();
        double[] values = predictions.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        int perGroup = (int)(predictions.shape[0] / groups);
        int quantities = (int)(values.Length / ((long)groups * perGroup));
        var rHats = new List<double>();
        var esses = new List<double>();
        for (int q = 0; q < quantities; q++)
        {
            var chains = Enumerable.Range(0, groups)
                .Select(g => Enumerable.Range(0, perGroup).Select(i => values[(long)(g * perGroup + i) * quantities + q]).ToArray())
                .ToList();
            if (chains.SelectMany(c => c).Distinct().Count() < 2) continue;
            double rHat = McmcDiagnostics.SplitRHat(chains), ess = McmcDiagnostics.BulkEffectiveSampleSize(chains);
            if (double.IsFinite(rHat)) rHats.Add(rHat);
            if (double.IsFinite(ess)) esses.Add(ess);
        }
        esses.Sort();
        return new PredictionDiagnostics(groups, groupedBy, perGroup, rHats.Count, rHats.Count > 0 ? rHats.Max() : double.NaN,
            esses.Count > 0 ? esses[0] : double.NaN, esses.Count > 0 ? esses[esses.Count / 2] : double.NaN);
    }
}
