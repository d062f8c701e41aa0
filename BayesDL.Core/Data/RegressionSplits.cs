using System.Text;
using System.Text.Json;
using BayesDL.Validation;

namespace BayesDL.Data;

/// <summary>
/// Fixed train/test splits of a table's rows, read from a splits file (the UCI benchmark's <c>NAME.splits.json</c>):
/// <code>{"dataset": "yacht", "rows": 308, "splits": [{"test": [121, 115, ...]}, ...]}</code>
/// UTF-8 JSON (no comments, no trailing commas); <c>rows</c> (required) is the table's number of data rows;
/// <c>splits</c> (required, at least one) lists each split's <c>test</c> rows (required, non-empty) and, optionally, its
/// <c>train</c> rows (non-empty); without <c>train</c> the training rows are all rows not in <c>test</c> (at least one).
/// Row indices are 0-based integers in [0, rows), without repeats within a list and with no row in both lists of a split
/// (rows in neither, when <c>train</c> is given, are left out, for example a validation part). <c>dataset</c> (optional)
/// is a name for messages. No other property is allowed (a misspelt <c>tset</c> is an error, not an ignored key).
/// Any violation is a <see cref="FileFormatException"/> naming the file and the split, list and index at fault.
/// </summary>
public sealed class RegressionSplits
{
    readonly int[][] _test, _train;

    RegressionSplits(string path, string? dataset, int rows, int[][] test, int[][] train)
    {
        Path = path; Dataset = dataset; Rows = rows; _test = test; _train = train;
    }

    /// <summary>The file the splits were read from.</summary>
    public string Path { get; }

    /// <summary>The <c>dataset</c> name the file gives, or null.</summary>
    public string? Dataset { get; }

    /// <summary>The number of rows of the table the splits index.</summary>
    public int Rows { get; }

    /// <summary>The number of splits.</summary>
    public int Count => _test.Length;

    /// <summary>The test rows of split <paramref name="split"/> (0-based), in the file's order (a copy).</summary>
    public int[] Test(int split) => (int[])_test[Index(split)].Clone();

    /// <summary>The training rows of split <paramref name="split"/>: the file's <c>train</c> list, else every row not in test,
    /// ascending (a copy).</summary>
    public int[] Train(int split) => (int[])_train[Index(split)].Clone();

    int Index(int split)
    {
        Check.Argument(split >= 0 && split < Count, nameof(RegressionSplits), nameof(split), split.ToString(),
            $"a split index in [0, {Count - 1}]");
        return split;
    }

    /// <summary>
    /// Reads the splits file at <paramref name="path"/> for a table of <paramref name="rows"/> data rows (the file's
    /// <c>rows</c> must equal it: splits made for another table are refused).
    /// </summary>
    /// <exception cref="FileFormatException">The file is missing, not JSON, or breaks the layout above.</exception>
    public static RegressionSplits Load(string path, int rows)
    {
        Check.Argument(rows >= 1, nameof(RegressionSplits), nameof(rows), rows.ToString(), "a positive number of rows");
        byte[] bytes = ReadAll(path, "a splits file (JSON)");
        using JsonDocument json = Parse(path, bytes, "a splits file: a JSON object {\"rows\", \"splits\": [{\"test\": [...]}, ...]}");
        JsonElement root = json.RootElement;
        var fields = Properties(path, root, "the splits file's top level", new[] { "dataset", "rows", "splits" });
        string? dataset = null;
        if (fields.TryGetValue("dataset", out JsonElement name))
        {
            if (name.ValueKind != JsonValueKind.String)
                throw new FileFormatException(path, "\"dataset\" as a string", $"a JSON {Kind(name)}");
            dataset = name.GetString();
        }
        if (!fields.TryGetValue("rows", out JsonElement declared))
            throw new FileFormatException(path, "a \"rows\" property (the table's number of data rows)", "none");
        if (declared.ValueKind != JsonValueKind.Number || !declared.TryGetInt32(out int fileRows) || fileRows != rows)
            throw new FileFormatException(path, $"\"rows\": {rows}, the number of data rows of the table the splits are for",
                $"\"rows\": {declared.GetRawText()}");
        if (!fields.TryGetValue("splits", out JsonElement list))
            throw new FileFormatException(path, "a \"splits\" property (a list of splits)", "none");
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw new FileFormatException(path, "\"splits\" as a non-empty list of {\"test\": [...]} objects",
                list.ValueKind == JsonValueKind.Array ? "an empty list" : $"a JSON {Kind(list)}");

        int count = list.GetArrayLength();
        var test = new int[count][];
        var train = new int[count][];
        var membership = new byte[rows]; // 0: neither, 1: test, 2: train
        int s = 0;
        foreach (JsonElement split in list.EnumerateArray())
        {
            var parts = Properties(path, split, $"split {s}", new[] { "test", "train" });
            Array.Clear(membership);
            if (!parts.TryGetValue("test", out JsonElement testList))
                throw new FileFormatException(path, $"a \"test\" list in split {s}", "none");
            test[s] = Indices(path, testList, s, "test", rows, membership, 1);
            if (parts.TryGetValue("train", out JsonElement trainList))
                train[s] = Indices(path, trainList, s, "train", rows, membership, 2);
            else
            {
                train[s] = Enumerable.Range(0, rows).Where(i => membership[i] == 0).ToArray();
                if (train[s].Length == 0)
                    throw new FileFormatException(path, $"at least one training row in split {s} (rows not in its test list)",
                        $"all {rows} rows in the test list");
            }
            s++;
        }
        return new RegressionSplits(path, dataset, rows, test, train);
    }

    /// <summary>A non-empty list of distinct row indices in [0, rows), none already taken by the split's other list.</summary>
    static int[] Indices(string path, JsonElement list, int split, string part, int rows, byte[] membership, byte mark)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw new FileFormatException(path, $"split {split}'s \"{part}\" as a non-empty list of row indices",
                list.ValueKind == JsonValueKind.Array ? "an empty list" : $"a JSON {Kind(list)}");
        var result = new int[list.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in list.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int row) || row < 0 || row >= rows)
                throw new FileFormatException(path,
                    $"row indices in [0, {rows - 1}] (0-based, {rows} rows) in split {split}'s \"{part}\" list",
                    $"{e.GetRawText()} at position {i}");
            if (membership[row] == mark)
                throw new FileFormatException(path, $"distinct row indices in split {split}'s \"{part}\" list",
                    $"row {row} twice (again at position {i})");
            if (membership[row] != 0)
                throw new FileFormatException(path, $"no row in both the test and the training list of split {split}",
                    $"row {row} in both (at position {i} of \"{part}\")");
            membership[row] = mark;
            result[i++] = row;
        }
        return result;
    }

    /// <summary>The bytes of a file; a missing or unreadable file is a <see cref="FileFormatException"/> naming it.</summary>
    internal static byte[] ReadAll(string path, string what)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileFormatException(path, $"a readable {what}",
                e is FileNotFoundException or DirectoryNotFoundException ? "no file at that path" : e.Message, e);
        }
    }

    /// <summary>Parses strict JSON (RFC 8259: no comments, no trailing commas); malformed text is a
    /// <see cref="FileFormatException"/>.</summary>
    internal static JsonDocument Parse(string path, byte[] bytes, string expected)
    {
        // Strict UTF-8 first: JsonDocument leaves invalid bytes inside strings to fail later, outside this check.
        try { StrictUtf8.GetCharCount(bytes); }
        catch (DecoderFallbackException e) { throw new FileFormatException(path, $"{expected}, in UTF-8", "bytes that are not UTF-8", e); }
        try { return JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new FileFormatException(path, expected, $"text that is not valid JSON ({e.Message})", e); }
    }

    /// <summary>An object's properties by name; another kind of value, a repeated name or a name outside
    /// <paramref name="allowed"/> is an error.</summary>
    internal static Dictionary<string, JsonElement> Properties(string path, JsonElement element, string where,
        IReadOnlyCollection<string>? allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new FileFormatException(path, $"a JSON object at {where}", $"a JSON {Kind(element)}");
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonProperty p in element.EnumerateObject())
        {
            if (allowed is not null && !allowed.Contains(p.Name))
                throw new FileFormatException(path, $"only the properties {string.Join(", ", allowed.Select(a => $"\"{a}\""))} at {where}",
                    $"a property \"{p.Name}\"");
            if (!result.TryAdd(p.Name, p.Value))
                throw new FileFormatException(path, $"each property once at {where}", $"\"{p.Name}\" twice");
        }
        return result;
    }

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "list",
        JsonValueKind.String => "string",
        JsonValueKind.Number => $"number {e.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
