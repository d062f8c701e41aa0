using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Plotting;

/// <summary>
/// Writes image rows [N, height*width] with values in [0, 1] as a grey-scale PNG grid (ScottPlot heatmap, 0 black,
/// 1 white, one pixel gap between tiles), row-major with <c>columns</c> tiles per row. Used for prior samples,
/// reconstructions, latent traversals and manifolds.
/// </summary>
public static class ImageGrid
{
    /// <summary>Saves the grid to <paramref name="path"/> (atomically) and returns the full path.</summary>
    public static string Save(Tensor images, int columns, string path, int height = 28, int width = 28,
        string? title = null, int pixelsPerCell = 3)
    {
        Check.Argument(images.dim() == 2 && images.shape[1] == (long)height * width, nameof(ImageGrid), "images",
            $"shape {Check.Shape(images.shape)}", $"shape [N, {height * width}] (rows of {height}x{width} images)");
        Check.Positive(columns, nameof(ImageGrid), "columns");
        Check.Positive(pixelsPerCell, nameof(ImageGrid), "pixelsPerCell");
        Check.Argument(images.shape[0] > 0, nameof(ImageGrid), "images", "no images", "at least one image");
        double[] v;
        using (var c = images.detach().cpu().to(ScalarType.Float64).clamp(0, 1)) v = c.data<double>().ToArray();
        int n = (int)images.shape[0], rows = (n + columns - 1) / columns;
        int gh = rows * (height + 1) - 1, gw = columns * (width + 1) - 1;
        var cells = new double[gh, gw];
        for (int r = 0; r < gh; r++) for (int c = 0; c < gw; c++) cells[r, c] = double.NaN;
        for (int i = 0; i < n; i++)
        {
            int top = i / columns * (height + 1), left = i % columns * (width + 1);
            for (int r = 0; r < height; r++)
                for (int c = 0; c < width; c++)
                    cells[top + r, left + c] = v[i * height * width + r * width + c];
        }
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.NaNCellColor = ScottPlot.Colors.SteelBlue;
        plot.Axes.Frameless();
        plot.HideGrid();
        int titleSpace = 0;
        if (title is not null) { plot.Title(title); titleSpace = 40; }
        return PngFile.Save(plot, path, gw * pixelsPerCell, gh * pixelsPerCell + titleSpace);
    }
}
