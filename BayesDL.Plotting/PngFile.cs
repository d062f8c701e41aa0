namespace BayesDL.Plotting;

/// <summary>Writes a PNG atomically: render to a temporary file in the target folder, then rename over the target.</summary>
internal static class PngFile
{
    public static string Save(ScottPlot.Plot plot, string path, int width, int height)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            plot.SavePng(temp, width, height);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return full;
    }
}
