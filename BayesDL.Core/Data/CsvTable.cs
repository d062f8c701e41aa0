using System.Globalization;
using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Data;

/// <summary>
/// Numeric CSV tables for regression data (for example the UCI sets used by Hernandez-Lobato &amp; Adams
/// 2015): comma separated, optional header row, invariant-culture numbers. Streams the file line by line.
/// </summary>
public static class CsvTable
{
    /// <summary>
    /// Reads a CSV file into inputs [N, D] and targets [N, T]. <paramref name="targetColumns"/> are
    /// zero-based column indices (default: the last column); every other column is an input.
    /// Errors name the file, the line and the column.
    /// </summary>
    public static LabeledData Load(string path, int[]? targetColumns = null, bool hasHeader = true, char separator = ',', ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var rows = new List<double[]>();
        int width = -1, lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (lineNo == 1 && hasHeader) continue;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] cells = line.Split(separator);
            if (width < 0) width = cells.Length;
            else if (cells.Length != width)
                throw new InvalidDataException($"{path}, line {lineNo}: {cells.Length} columns; expected {width} like the first data row.");
            var row = new double[width];
            for (int c = 0; c < width; c++)
                if (!double.TryParse(cells[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out row[c]))
                    throw new InvalidDataException($"{path}, line {lineNo}, column {c + 1}: \"{cells[c]}\" is not a number.");
            rows.Add(row);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows.");

        int[] targets = targetColumns ?? new[] { width - 1 };
        foreach (int t in targets)
            Validation.Check.Argument(t >= 0 && t < width, nameof(CsvTable), nameof(targetColumns), t.ToString(), $"a column index in [0, {width - 1}]");
        int[] inputs = Enumerable.Range(0, width).Where(c => !targets.Contains(c)).ToArray();

        double[] x = rows.SelectMany(r => inputs.Select(c => r[c])).ToArray();
        double[] y = rows.SelectMany(r => targets.Select(c => r[c])).ToArray();
        NativeEngine.EnsureLoaded();
        return new LabeledData(policy.Tensor(x, rows.Count, inputs.Length), policy.Tensor(y, rows.Count, targets.Length));
    }
}
