using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BayesDL.Engine;
using BayesDL.Validation;

namespace BayesDL.Data;

/// <summary>
/// A regression table with fixed train/test splits, in the layout of the UCI benchmark (data/uci, Hernández-Lobato &amp;
/// Adams 2015) or any data set laid out like it: a CSV with a header row of column names and numeric cells (strict, as
/// <see cref="CsvTable"/> reads them), one column the target (by name; default the last), every other an input; a splits
/// file (<see cref="RegressionSplits"/>); and, optionally, a manifest (<c>MANIFEST.json</c>) whose entry for the data set
/// records the CSV's SHA-256 (<c>csv_sha256</c>), the splits file's (<c>splits_sha256</c>) and the counts <c>rows</c>,
/// <c>features</c> and <c>splits</c>: whichever it records is verified before anything is used.
/// <see cref="Split"/> gives a split's rows standardised by the training rows' mean and sd (<see cref="Standardization"/>).
/// </summary>
public sealed class RegressionDataset
{
    readonly double[][] _inputs;
    readonly double[] _targets;

    RegressionDataset(string name, string path, string[] featureNames, string targetName, double[][] inputs,
        double[] targets, RegressionSplits splits)
    {
        Name = name; Path = path; FeatureNames = featureNames; TargetName = targetName;
        _inputs = inputs; _targets = targets; Splits = splits;
    }

    /// <summary>The data set's name: the CSV's file name without <c>.csv</c>.</summary>
    public string Name { get; }

    /// <summary>The CSV file.</summary>
    public string Path { get; }

    /// <summary>The input columns' names, in order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The target column's name.</summary>
    public string TargetName { get; }

    /// <summary>The number of rows N.</summary>
    public int Count => _targets.Length;

    /// <summary>The number of input columns D.</summary>
    public int Features => FeatureNames.Count;

    /// <summary>The train/test splits.</summary>
    public RegressionSplits Splits { get; }

    /// <summary>The target of row <paramref name="row"/> on the original scale.</summary>
    public double Target(int row) => _targets[row];

    /// <summary>
    /// Split <paramref name="split"/>: its training and test rows, inputs and target standardised with the training rows'
    /// mean and sd (<see cref="Standardization.Fit"/>), as tensors on <paramref name="policy"/> (inputs [n, D], targets [n, 1]).
    /// </summary>
    public RegressionSplit Split(int split, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        int[] train = Splits.Train(split), test = Splits.Test(split);
        Standardization scaling = Standardization.Fit(_inputs, _targets, train);
        NativeEngine.EnsureLoaded();
        return new RegressionSplit(split, train, test, scaling, Part(train, scaling, policy), Part(test, scaling, policy),
            test.Select(i => _targets[i]).ToArray());
    }

    LabeledData Part(int[] rows, Standardization scaling, ComputePolicy policy)
    {
        int d = Features;
        var x = new double[rows.Length * d];
        var y = new double[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            double[] row = _inputs[rows[i]];
            for (int c = 0; c < d; c++) x[i * d + c] = scaling.Input(c, row[c]);
            y[i] = scaling.Target(_targets[rows[i]]);
        }
        return new LabeledData(policy.Tensor(x, rows.Length, d), policy.Tensor(y, rows.Length, 1));
    }

    /// <summary>
    /// The data set <paramref name="name"/> of a folder in the UCI layout: <c>NAME.csv</c>, <c>NAME.splits.json</c> and,
    /// when the folder has one, <c>MANIFEST.json</c> (which must then list the data set).
    /// </summary>
    /// <exception cref="FileFormatException">A file is missing, malformed, inconsistent with another, or fails its SHA-256.</exception>
    public static RegressionDataset FromFolder(string folder, string name, string? target = null)
    {
        string manifest = System.IO.Path.Combine(folder, "MANIFEST.json");
        return Load(System.IO.Path.Combine(folder, name + ".csv"), System.IO.Path.Combine(folder, name + ".splits.json"), target,
            File.Exists(manifest) ? manifest : null);
    }

    /// <summary>The bundled UCI data set <paramref name="name"/> (concrete, energy, yacht, wine-quality-red,
    /// kin8nm) from data/uci.</summary>
    public static RegressionDataset Uci(string name, string? dataDirectory = null) =>
        FromFolder(System.IO.Path.Combine(dataDirectory ?? Mnist.FindDataDirectory(), "uci"), name);

    /// <summary>
    /// Reads a regression CSV and its splits file; <paramref name="target"/> names the target column (default: the last);
    /// with <paramref name="manifestPath"/> the manifest's entry for the data set (the CSV's name) is verified first.
    /// </summary>
    /// <exception cref="FileFormatException">
    /// A file is missing or malformed; the CSV has no header, a header of another width than its rows, no column named
    /// <paramref name="target"/>, a cell that is not a finite number, or fewer than two columns; the splits do not fit the
    /// table; the manifest does not list the data set, or a recorded SHA-256 or count differs. The message names the file.
    /// </exception>
    public static RegressionDataset Load(string csvPath, string splitsPath, string? target = null, string? manifestPath = null)
    {
        string name = System.IO.Path.GetFileName(csvPath);
        if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) name = name[..^4];
        Entry? entry = manifestPath is null ? null : ReadManifest(manifestPath, name);

        byte[] csv = RegressionSplits.ReadAll(csvPath, "CSV file");
        if (entry?.CsvSha256 is { } csvSum) Verify(csvPath, csv, csvSum, manifestPath!);
        if (entry?.SplitsSha256 is { } splitsSum) Verify(splitsPath,
            RegressionSplits.ReadAll(splitsPath, "splits file (JSON)"), splitsSum, manifestPath!);

        CsvRows table = CsvTable.ReadRows(csvPath, Lines(csv), hasHeader: true, separator: ',', allowMissing: false);
        if (table.Header is null || table.Header.Trim().Length == 0)
            throw new FileFormatException(csvPath, "a header row of column names on line 1", "an empty first line");
        string[] names = table.Header.Split(',').Select(n => n.Trim()).ToArray();
        if (names.Length != table.Width)
            throw new FileFormatException(csvPath, $"a header of {table.Width} column names, one per column of the data rows",
                $"{names.Length} name(s) on line 1");
        if (table.Width < 2)
            throw new FileFormatException(csvPath, "at least two columns: the target and at least one input", $"{table.Width} column(s)");
        int t = target is null ? table.Width - 1 : Array.IndexOf(names, target);
        if (t < 0)
            throw new FileFormatException(csvPath, $"a target column named \"{target}\" in the header",
                $"the columns {string.Join(", ", names.Select(n => $"\"{n}\""))}");

        int rows = table.Rows.Count;
        int[] inputColumns = Enumerable.Range(0, table.Width).Where(c => c != t).ToArray();
        if (entry?.Rows is { } expectedRows && expectedRows != rows)
            throw new FileFormatException(csvPath, $"{expectedRows} data rows, as {manifestPath} records", $"{rows}");
        if (entry?.Features is { } expectedFeatures && expectedFeatures != inputColumns.Length)
            throw new FileFormatException(csvPath,
                $"{expectedFeatures} input columns, as {manifestPath} records", $"{inputColumns.Length}");
        RegressionSplits splits = RegressionSplits.Load(splitsPath, rows);
        if (entry?.Splits is { } expectedSplits && expectedSplits != splits.Count)
            throw new FileFormatException(splitsPath, $"{expectedSplits} splits, as {manifestPath} records", $"{splits.Count}");

        double[][] inputs = table.Rows.Select(r => inputColumns.Select(c => r[c]).ToArray()).ToArray();
        double[] targets = table.Rows.Select(r => r[t]).ToArray();
        return new RegressionDataset(name, csvPath, inputColumns.Select(c => names[c]).ToArray(), names[t], inputs, targets, splits);
    }

    /// <summary>The lines of a CSV's bytes, decoded as File.ReadLines decodes a file (UTF-8 unless a byte-order mark
    /// says otherwise).</summary>
    static IEnumerable<string> Lines(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine()) yield return line;
    }

    static void Verify(string path, byte[] bytes, string expected, string manifestPath)
    {
        string found = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        if (!string.Equals(found, expected, StringComparison.OrdinalIgnoreCase))
            throw new FileFormatException(path, $"SHA-256 {expected.ToLowerInvariant()}, as {manifestPath} records",
                $"SHA-256 {found}: the file was changed or corrupted (restore it, or update the manifest if the change is intended)");
    }

    /// <summary>What a manifest entry records (each optional).</summary>
    sealed record Entry(string? CsvSha256, string? SplitsSha256, int? Rows, int? Features, int? Splits);

    /// <summary>
    /// The manifest's entry for <paramref name="name"/>: a JSON object with a "datasets" object holding one object per data
    /// set; in it "csv_sha256" and "splits_sha256" (64 hexadecimal digits) and "rows", "features", "splits" (positive
    /// integers) are read when present, other properties (title, citation, ...) are descriptive.
    /// </summary>
    static Entry ReadManifest(string path, string name)
    {
        byte[] bytes = RegressionSplits.ReadAll(path, "manifest (JSON)");
        using JsonDocument json = RegressionSplits.Parse(path, bytes,
            "a manifest: a JSON object {\"datasets\": {NAME: {\"csv_sha256\", ...}}}");
        var top = RegressionSplits.Properties(path, json.RootElement, "the manifest's top level", null);
        if (!top.TryGetValue("datasets", out JsonElement datasets))
            throw new FileFormatException(path, "a \"datasets\" object", "none");
        var entries = RegressionSplits.Properties(path, datasets, "\"datasets\"", null);
        if (!entries.TryGetValue(name, out JsonElement entry))
            throw new FileFormatException(path, $"an entry \"{name}\" under \"datasets\" (the data set being read)",
                entries.Count == 0 ? "no entries" : $"the entries {string.Join(", ", entries.Keys.Select(k => $"\"{k}\""))}");
        var fields = RegressionSplits.Properties(path, entry, $"\"datasets\".\"{name}\"", null);
        return new Entry(Sha(path, fields, name, "csv_sha256"), Sha(path, fields, name, "splits_sha256"),
            Positive(path, fields, name, "rows"), Positive(path, fields, name, "features"), Positive(path, fields, name, "splits"));
    }

    static string? Sha(string path, Dictionary<string, JsonElement> fields, string name, string key)
    {
        if (!fields.TryGetValue(key, out JsonElement v)) return null;
        string? s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (s is null || s.Length != 64 || !s.All(Uri.IsHexDigit))
            throw new FileFormatException(path, $"\"{key}\" of \"{name}\" as 64 hexadecimal digits (a SHA-256)", v.GetRawText());
        return s;
    }

    static int? Positive(string path, Dictionary<string, JsonElement> fields, string name, string key)
    {
        if (!fields.TryGetValue(key, out JsonElement v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 1)
            throw new FileFormatException(path, $"\"{key}\" of \"{name}\" as a positive integer", v.GetRawText());
        return n;
    }
}
