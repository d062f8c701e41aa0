using BayesDL.Mcmc;

namespace BayesDL.Plotting;

/// <summary>
/// Where a sampler diverged: the kept draws of two named quantities as a scatter, with the points where divergent trajectories
/// lost the posterior (<see cref="ModelPosterior.WhereDiverged"/>) on top in red. Stan's pairs plot with divergences marked
/// (Betancourt 2017, "Diagnosing biased inference with divergences"): in the centred eight schools they gather in the neck of
/// the funnel, theta[j] against log tau.
/// </summary>
public static class DivergencePlot
{
    /// <summary>
    /// Saves the scatter of <paramref name="x"/> against <paramref name="y"/> ("theta[1]", "tau") to <paramref name="path"/>
    /// (atomically) and returns the full path. <paramref name="logY"/>: plot log y (for a scale parameter).
    /// </summary>
    public static string Save(ModelPosterior posterior, string x, string y, string path, bool logY = false,
        string? title = null, int width = 900, int height = 700)
    {
        Validation.Check.Argument(posterior is not null, nameof(DivergencePlot), nameof(posterior), "null", "a ModelPosterior");
        var (xDivergent, xDraws) = posterior!.WhereDiverged(x); // errors name the quantity
        var (yDivergent, yDraws) = posterior.WhereDiverged(y);
        double[] Scale(double[] v) => logY ? v.Select(value => Math.Log(value)).ToArray() : v;
        var plot = new ScottPlot.Plot();
        var draws = plot.Add.Markers(xDraws, Scale(yDraws), ScottPlot.MarkerShape.FilledCircle, 3,
            ScottPlot.Colors.SteelBlue.WithAlpha(0.5));
        draws.LegendText = $"draws ({xDraws.Length})";
        if (xDivergent.Length > 0)
        {
            var divergent = plot.Add.Markers(xDivergent, Scale(yDivergent), ScottPlot.MarkerShape.FilledCircle, 6, ScottPlot.Colors.Red);
            divergent.LegendText = $"divergences ({xDivergent.Length})";
        }
        plot.Title(title ?? $"{posterior.Model.Name}: where NUTS diverged");
        plot.XLabel(x);
        plot.YLabel(logY ? $"log {y}" : y);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return PngFile.Save(plot, path, width, height);
    }
}
