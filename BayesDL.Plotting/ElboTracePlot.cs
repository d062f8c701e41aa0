using BayesDL.Validation;

namespace BayesDL.Plotting;

/// <summary>
/// The ELBO per optimizer step of a variational fit (e.g. <c>AdviPosterior.ElboTrace</c>) as a line, with its running mean over a
/// window of steps on top (the per-step values are Monte Carlo estimates and noisy), written as a PNG with ScottPlot.
/// </summary>
public static class ElboTracePlot
{
    /// <summary>Saves the trace to <paramref name="path"/> (atomically) and returns the full path. The first
    /// <paramref name="skip"/> steps are left out (the start is often orders of magnitude below the rest).</summary>
    public static string Save(IReadOnlyList<double> trace, string path, string title = "ELBO", int skip = 0, int window = 100,
        int width = 900, int height = 500)
    {
        Check.Argument(trace is not null && trace.Count > skip, nameof(ElboTracePlot), nameof(trace),
            trace is null ? "null" : $"{trace.Count} steps", $"more than skip = {skip} steps");
        Check.Positive(window, nameof(ElboTracePlot), nameof(window));
        double[] steps = Enumerable.Range(skip + 1, trace!.Count - skip).Select(i => (double)i).ToArray();
        double[] values = trace.Skip(skip).ToArray();
        var smooth = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i] - (i >= window ? values[i - window] : 0);
            smooth[i] = sum / Math.Min(i + 1, window);
        }
        var plot = new ScottPlot.Plot();
        var raw = plot.Add.ScatterLine(steps, values);
        raw.LegendText = "per step";
        raw.Color = raw.Color.WithAlpha(0.35);
        var mean = plot.Add.ScatterLine(steps, smooth);
        mean.LegendText = $"running mean over {window} steps";
        mean.LineWidth = 2;
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("ELBO");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return PngFile.Save(plot, path, width, height);
    }
}
