using BayesDL.Validation;

namespace BayesDL.Plotting;

/// <summary>
/// One-dimensional regression predictives side by side: one panel per method with the predictive mean, the mean +- 2
/// predictive sd band (noise included), the training data and, when given, the true function; all panels share the axes
/// so their bands compare at a glance (the figure of Hernández-Lobato &amp; Adams 2015, Fig. 1).
/// </summary>
public static class PredictiveBandsPlot
{
    /// <summary>A panel: the method's name, the grid x and its predictive mean and sd at each grid point.</summary>
    public sealed record Panel(string Title, double[] X, double[] Mean, double[] StdDev);

    /// <summary>
    /// Writes the panels (at most 3 per row) to <paramref name="path"/> atomically and returns the full path.
    /// <paramref name="trueY"/> is the true function on each panel's grid (null: not drawn).
    /// </summary>
    public static string Save(IReadOnlyList<Panel> panels, double[] dataX, double[] dataY, string path, double[]? trueY = null,
        int panelWidth = 420, int panelHeight = 340)
    {
        Check.Argument(panels.Count > 0, nameof(PredictiveBandsPlot), nameof(panels), "no panels", "at least one method's panel");
        Check.Argument(dataX.Length == dataY.Length, nameof(PredictiveBandsPlot), nameof(dataY), $"{dataY.Length} targets",
            $"one per input ({dataX.Length})");
        foreach (Panel p in panels)
        {
            bool matches = p.Mean.Length == p.X.Length && p.StdDev.Length == p.X.Length && (trueY is null || trueY.Length == p.X.Length);
            Check.Argument(matches, nameof(PredictiveBandsPlot), $"panels ({p.Title})",
                $"{p.X.Length} grid points, {p.Mean.Length} means, {p.StdDev.Length} sds",
                "as many means, sds (and true values) as grid points");
        }
        double low = panels.Min(p => p.Mean.Zip(p.StdDev, (m, s) => m - 2 * s).Min());
        double high = panels.Max(p => p.Mean.Zip(p.StdDev, (m, s) => m + 2 * s).Max());
        if (trueY is not null) { low = Math.Min(low, trueY.Min()); high = Math.Max(high, trueY.Max()); }
        var figure = new List<ScottPlot.Plot>();
        foreach (Panel p in panels)
        {
            var plot = new ScottPlot.Plot();
            double[] lower = p.Mean.Zip(p.StdDev, (m, s) => m - 2 * s).ToArray();
            double[] upper = p.Mean.Zip(p.StdDev, (m, s) => m + 2 * s).ToArray();
            var band = plot.Add.FillY(p.X, lower, upper);
            band.FillColor = ScottPlot.Colors.SteelBlue.WithAlpha(0.3);
            band.LegendText = "mean +- 2 sd";
            var mean = plot.Add.ScatterLine(p.X, p.Mean, ScottPlot.Colors.SteelBlue);
            mean.LineWidth = 2;
            mean.LegendText = "predictive mean";
            if (trueY is not null)
            {
                var truth = plot.Add.ScatterLine(p.X, trueY, ScottPlot.Colors.Black);
                truth.LinePattern = ScottPlot.LinePattern.Dashed;
                truth.LegendText = "true function";
            }
            var points = plot.Add.ScatterPoints(dataX, dataY, ScottPlot.Colors.OrangeRed);
            points.MarkerSize = 6;
            points.LegendText = "data";
            plot.Axes.SetLimits(p.X.Min(), p.X.Max(), low, high);
            plot.Title(p.Title);
            plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
            figure.Add(plot);
        }
        return PngFile.SavePanels(figure, path, 3, panelWidth, panelHeight);
    }
}
