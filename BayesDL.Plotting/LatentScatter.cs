using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Plotting;

/// <summary>
/// A scatter of 2-D latent points [N, 2] (e.g. test-set posterior means, or their first two principal components)
/// coloured by integer label, one legend entry per label, written as a PNG with ScottPlot.
/// </summary>
public static class LatentScatter
{
    /// <summary>Saves the scatter to <paramref name="path"/> (atomically) and returns the full path.</summary>
    public static string Save(Tensor points, Tensor labels, string path, string title = "Latent means by label",
        string xLabel = "z1", string yLabel = "z2", int width = 900, int height = 750)
    {
        Check.Argument(points.dim() == 2 && points.shape[1] == 2, nameof(LatentScatter), "points",
            $"shape {Check.Shape(points.shape)}", "shape [N, 2]");
        Check.Argument(labels.dim() == 1 && labels.shape[0] == points.shape[0], nameof(LatentScatter), "labels",
            $"shape {Check.Shape(labels.shape)}", $"shape [{points.shape[0]}]");
        double[] xy;
        long[] y;
        using (var p = points.detach().cpu().to(ScalarType.Float64)) xy = p.data<double>().ToArray();
        using (var l = labels.detach().cpu().to(ScalarType.Int64)) y = l.data<long>().ToArray();
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (long label in y.Distinct().OrderBy(v => v))
        {
            int[] at = Enumerable.Range(0, y.Length).Where(i => y[i] == label).ToArray();
            var markers = plot.Add.Markers(at.Select(i => xy[2 * i]).ToArray(), at.Select(i => xy[2 * i + 1]).ToArray(),
                ScottPlot.MarkerShape.FilledCircle, 4, palette.GetColor((int)label));
            markers.LegendText = label.ToString();
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return PngFile.Save(plot, path, width, height);
    }
}
