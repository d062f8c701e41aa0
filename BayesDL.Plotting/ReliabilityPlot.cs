using BayesDL.Metrics;
using BayesDL.Validation;

namespace BayesDL.Plotting;

/// <summary>
/// Reliability diagram (DeGroot &amp; Fienberg 1983; Guo et al. 2017): per confidence bin, the fraction correct against the
/// mean top-class confidence, one line per method, with the diagonal of perfect calibration. A line below the diagonal
/// is over-confident, above it under-confident; the legend gives each method's ECE. Empty bins are left out.
/// </summary>
public static class ReliabilityPlot
{
    /// <summary>Writes the diagram of <paramref name="diagrams"/> (method name, diagram) to <paramref name="path"/> atomically;
    /// returns the full path.</summary>
    public static string Save(IReadOnlyList<(string Method, ReliabilityDiagram Diagram)> diagrams, string path,
        string title = "Reliability diagram", int width = 600, int height = 600)
    {
        Check.Argument(diagrams.Count > 0, nameof(ReliabilityPlot), nameof(diagrams), "no diagrams", "at least one (method, diagram) pair");
        var plot = new ScottPlot.Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = ScottPlot.LinePattern.Dashed;
        diagonal.Color = ScottPlot.Colors.Gray;
        diagonal.LegendText = "perfect calibration";
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < diagrams.Count; i++)
        {
            var (method, d) = diagrams[i];
            int[] filled = Enumerable.Range(0, d.Bins).Where(b => d.Count[b] > 0).ToArray();
            var line = plot.Add.Scatter(filled.Select(b => d.Confidence[b]).ToArray(),
                filled.Select(b => d.Accuracy[b]).ToArray(), palette.GetColor(i));
            line.LegendText = $"{method} (ECE {d.ExpectedCalibrationError:F4})";
            line.LineWidth = 2;
            line.MarkerSize = 6;
        }
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title(title);
        plot.XLabel($"mean top-class confidence ({diagrams[0].Diagram.Bins} bins)");
        plot.YLabel("fraction correct");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        return PngFile.Save(plot, path, width, height);
    }
}
