using System.Globalization;
using BayesDL.Engine;
using BayesDL.Validation;

namespace BayesDL.Data;

/// <summary>
/// Numeric CSV tables for regression data (for example the UCI sets used by Hernandez-Lobato &amp; Adams
/// 2015): comma separated, optional header row, invariant-culture numbers. Streams the file line by line.
/// Strict by default: every cell must hold a finite number; NaN, infinities and numbers beyond the range of a
/// double (which would parse as infinity) are refused, naming the line and column.
/// </summary>
public static class CsvTable
{
    /// <summary>
    /// Reads a CSV file into inputs [N, D] and targets [N, T]. <paramref name="targetColumns"/> are
    /// zero-based column indices (default: the last column); every other column is an input.
    /// With <paramref name="allowMissing"/> an empty cell or <c>NaN</c> is read as a missing value (NaN in the
    /// tensors), for methods that handle missing values; infinities are refused either way.
    /// </summary>
    /// <exception cref="FileFormatException">
    /// The file is missing or has no data rows, a row has another number of columns than the first data row, or a
    /// cell is not a finite number (or a missing value when allowed); the message names the file, the line and the column.
    /// </exception>
    public static LabeledData Load(string path, int[]? targetColumns = null, bool hasHeader = true, char separator = ',',
                                   ComputePolicy? policy = null, bool allowMissing = false)
    {
        policy ??= ComputePolicy.Default;
        CsvRows table = ReadRows(path, Lines(path), hasHeader, separator, allowMissing);
        List<double[]> rows = table.Rows;
        int width = table.Width;

        int[] targets = targetColumns ?? new[] { width - 1 };
        foreach (int t in targets)
            Check.Argument(t >= 0 && t < width, nameof(CsvTable), nameof(targetColumns), t.ToString(),
                $"a column index in [0, {width - 1}]");
        int[] inputs = Enumerable.Range(0, width).Where(c => !targets.Contains(c)).ToArray();
        // By default the last column is the target and the others the inputs, so a table needs two columns; a caller that
        // names the target columns itself may take them all (a labels file).
        if (inputs.Length == 0 && targetColumns is null)
            throw new FileFormatException(path, "at least two columns: inputs, then the target in the last column",
                $"{width} column(s) in the first data row (line {table.WidthLine})");

        double[] x = rows.SelectMany(r => inputs.Select(c => r[c])).ToArray();
        double[] y = rows.SelectMany(r => targets.Select(c => r[c])).ToArray();
        NativeEngine.EnsureLoaded();
        return new LabeledData(policy.Tensor(x, rows.Count, inputs.Length), policy.Tensor(y, rows.Count, targets.Length));
    }

    /// <summary>
    /// The strict parse shared by <see cref="Load"/> and <see cref="RegressionDataset"/>: the header line (when there is
    /// one), the data rows as numbers and their width. Blank lines are skipped; every data row has the width of the first;
    /// every cell is a finite number (or, with <paramref name="allowMissing"/>, a missing value read as NaN).
    /// </summary>
    internal static CsvRows ReadRows(string path, IEnumerable<string> lines, bool hasHeader, char separator, bool allowMissing)
    {
        string expectedCell = allowMissing
            ? "a finite number or a missing value (an empty cell or NaN) in every cell"
            : "a finite number in every cell (missing values are refused unless allowMissing is set)";
        var rows = new List<double[]>();
        string? header = null;
        int width = -1, widthLine = 0, lineNo = 0;
        foreach (string line in lines)
        {
            lineNo++;
            if (lineNo == 1 && hasHeader) { header = line; continue; }
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] cells = line.Split(separator);
            if (width < 0) { width = cells.Length; widthLine = lineNo; }
            else if (cells.Length != width)
                throw new FileFormatException(path, $"{width} columns in every row, like the first data row (line {widthLine})",
                    $"{cells.Length} columns at line {lineNo}");
            var row = new double[width];
            for (int c = 0; c < width; c++)
                if (!TryCell(cells[c].Trim(), allowMissing, out row[c]))
                    throw new FileFormatException(path, expectedCell, $"{Describe(cells[c].Trim())} at line {lineNo}, column {c + 1}");
            rows.Add(row);
        }
        if (rows.Count == 0)
            throw new FileFormatException(path, "at least one data row",
                lineNo == 0 ? "an empty file" : $"{lineNo} line(s) and no data row");
        return new CsvRows(header, rows, width, widthLine);
    }

    /// <summary>The lines of the file; a missing file is a <see cref="FileFormatException"/> naming it.</summary>
    static IEnumerable<string> Lines(string path)
    {
        try
        {
            return File.ReadLines(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileFormatException(path, "a CSV file", "no file at that path", e);
        }
    }

    /// <summary>A finite invariant-culture number, or (when allowed) an empty cell or NaN as a missing value.</summary>
    static bool TryCell(string cell, bool allowMissing, out double value)
    {
        if (allowMissing && (cell.Length == 0 || cell.Equals("NaN", StringComparison.OrdinalIgnoreCase)))
        {
            value = double.NaN;
            return true;
        }
        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>What a refused cell holds, in words: empty, NaN, an infinity, a number too large for a double, or text.</summary>
    static string Describe(string cell)
    {
        if (cell.Length == 0) return "an empty cell";
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture,
            out double v)) return $"\"{cell}\", which is not a number,";
        if (double.IsNaN(v)) return $"\"{cell}\" (not a number)";
        bool literal = cell.TrimStart('+', '-').StartsWith("inf", StringComparison.OrdinalIgnoreCase) || cell.Contains('∞');
        return literal
            ? $"\"{cell}\" (an infinity)"
            : $"\"{cell}\" (beyond the range of a double, about ±1.8e308, so it would be read as {(v > 0 ? "+" : "-")}infinity)";
    }
}

/// <summary>A parsed CSV table: the header line (null without one), the data rows, their width and the line that fixed it.</summary>
internal sealed record CsvRows(string? Header, List<double[]> Rows, int Width, int WidthLine);
