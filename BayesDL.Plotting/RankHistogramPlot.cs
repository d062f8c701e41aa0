using BayesDL.Calibration;
using BayesDL.Validation;

namespace BayesDL.Plotting;

/// <summary>
/// The rank histograms of simulation-based calibration (Talts et al. 2018, Fig. 2-4): one panel per parameter, the
/// replications per rank bin as bars, the expected count N / B as a line and the band a bin stays in with probability 99%
/// under uniformity (Binomial(N, 1/B) quantiles) as dashed lines. Too narrow a posterior shows as a U, too wide as a
/// hump, a bias as a slope.
/// </summary>
public static class RankHistogramPlot
{
    /// <summary>Writes the panels of <paramref name="result"/> to <paramref name="path"/> atomically; returns the full path.</summary>
    public static string Save(SbcResult result, string path, int panelWidth = 400, int panelHeight = 300)
    {
        ArgumentNullException.ThrowIfNull(result);
        Check.Argument(result.Parameters.Count > 0, nameof(RankHistogramPlot), nameof(result), "no parameters",
            "an SBC result with at least one parameter");
        int bins = result.Options.Bins, n = result.Options.Replications;
        var (low, high) = RankUniformity.Band(n, bins);
        double expected = (double)n / bins;
        var panels = new List<ScottPlot.Plot>();
        foreach (SbcParameterResult p in result.Parameters)
        {
            var plot = new ScottPlot.Plot();
            double[] positions = Enumerable.Range(0, bins).Select(b => (double)b).ToArray();
            var bars = plot.Add.Bars(positions, p.BinCounts.Select(c => (double)c).ToArray());
            foreach (var bar in bars.Bars) bar.Size = 0.9;
            var line = plot.Add.HorizontalLine(expected);
            line.Color = ScottPlot.Colors.Black;
            foreach (int bound in new[] { low, high })
            {
                var edge = plot.Add.HorizontalLine(bound);
                edge.Color = ScottPlot.Colors.Gray;
                edge.LinePattern = ScottPlot.LinePattern.Dashed;
            }
            plot.Axes.SetLimitsY(0, Math.Max(p.BinCounts.Max(), high) * 1.15);
            plot.Title($"{p.Name}: p = {p.PValue:G3}");
            plot.XLabel($"rank bin ({bins} bins of L + 1 = {result.Options.Draws + 1} ranks)");
            plot.YLabel("replications");
            panels.Add(plot);
        }
        return PngFile.SavePanels(panels, path, 3, panelWidth, panelHeight);
    }
}
