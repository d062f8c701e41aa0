namespace BayesDL.Plotting;

/// <summary>Writes a PNG atomically: render to a temporary file in the target folder, then rename over the target.</summary>
internal static class PngFile
{
    public static string Save(ScottPlot.Plot plot, string path, int width, int height) =>
        Save(temp => plot.SavePng(temp, width, height), path);

    /// <summary>
    /// A figure of several panels, at most <paramref name="columns"/> per row, each <paramref name="panelWidth"/> x
    /// <paramref name="panelHeight"/> pixels, written the same way.
    /// </summary>
    public static string SavePanels(IReadOnlyList<ScottPlot.Plot> panels, string path, int columns, int panelWidth, int panelHeight)
    {
        var figure = new ScottPlot.Multiplot();
        while (figure.Subplots.Count > 0) figure.Subplots.RemoveAt(0); // a new Multiplot starts with one empty plot
        foreach (var panel in panels) figure.Subplots.Add(panel);
        int cols = Math.Min(columns, panels.Count), rows = (panels.Count + cols - 1) / cols;
        figure.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, cols);
        return Save(temp => ScottPlot.IMultiplotExtensions.SavePng(figure, temp, panelWidth * cols, panelHeight * rows), path);
    }

    static string Save(Action<string> render, string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            render(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return full;
    }
}
