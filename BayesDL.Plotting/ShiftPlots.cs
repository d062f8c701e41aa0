using BayesDL.Metrics;
using BayesDL.Validation;

namespace BayesDL.Plotting;

/// <summary>Line plots of a dataset-shift evaluation: one PNG per metric, rotation angle on x, one line per method.</summary>
public static class ShiftPlots
{
    static readonly Dictionary<string, string> Labels = new()
    {
        ["accuracy"] = "accuracy",
        ["nll"] = "negative log-likelihood (nats)",
        ["brier"] = "Brier score",
        ["ece"] = "expected calibration error (15 bins)",
        ["entropy"] = "mean predictive entropy (nats)",
    };

    /// <summary>
    /// Writes <c>{prefix}-{metric}.png</c> into <paramref name="directory"/> for every metric of
    /// <see cref="ShiftCurve.MetricNames"/> (atomically) and returns the metric → full path map.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Save(IReadOnlyList<ShiftCurve> curves, string directory, string prefix = "shift",
        int width = 800, int height = 500)
    {
        Check.Argument(curves.Count > 0, nameof(ShiftPlots), nameof(curves), "no curves", "at least one method's ShiftCurve");
        var paths = new Dictionary<string, string>();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (string metric in ShiftCurve.MetricNames)
        {
            var plot = new ScottPlot.Plot();
            for (int i = 0; i < curves.Count; i++)
            {
                var line = plot.Add.Scatter(curves[i].Angles, curves[i].Metric(metric), palette.GetColor(i));
                line.LegendText = curves[i].Method;
                line.LineWidth = 2;
                line.MarkerSize = 6;
            }
            plot.Title($"Rotated MNIST: {Labels[metric]}");
            plot.XLabel("rotation (degrees)");
            plot.YLabel(Labels[metric]);
            plot.ShowLegend(metric == "accuracy" ? ScottPlot.Alignment.UpperRight : ScottPlot.Alignment.UpperLeft);
            paths[metric] = PngFile.Save(plot, Path.Combine(directory, $"{prefix}-{metric}.png"), width, height);
        }
        return paths;
    }
}
