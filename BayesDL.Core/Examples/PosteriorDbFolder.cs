using System.Text.Json;
using BayesDL.Engine;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Examples;

/// <summary>
/// One posterior of a folder laid out like posteriordb's (stan-dev/posteriordb): <c>data.json</c> (numbers, arrays and matrices by
/// key) and <c>reference.json</c> (reference mean, sd and MCSE of the mean per parameter, on the constrained scale, Stan's names).
/// </summary>
public static class PosteriorDbFolder
{
    /// <summary>
    /// The data of <paramref name="folder"/>/data.json as tensors of <paramref name="policy"/>'s dtype (default float64 on the CPU):
    /// a number as a scalar, an array as a vector, an array of arrays as a matrix (rows first).
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> ReadData(string folder, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Cpu.Float64();
        string path = Path.Combine(folder, "data.json");
        using JsonDocument doc = Parse(path);
        var data = new Dictionary<string, Tensor>();
        foreach (JsonProperty p in doc.RootElement.EnumerateObject())
        {
            JsonElement e = p.Value;
            if (e.ValueKind == JsonValueKind.Number)
                data[p.Name] = policy.Apply(tensor(e.GetDouble(), dtype: ScalarType.Float64));
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e[0].ValueKind == JsonValueKind.Array)
            {
                double[][] rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
                Check.Argument(rows.All(r => r.Length == rows[0].Length), path, p.Name, "rows of different lengths", "a matrix");
                Tensor flat = tensor(rows.SelectMany(r => r).ToArray(), dtype: ScalarType.Float64);
                data[p.Name] = policy.Apply(flat.reshape(rows.Length, rows[0].Length));
            }
            else if (e.ValueKind == JsonValueKind.Array)
                data[p.Name] = policy.Apply(tensor(e.EnumerateArray().Select(v => v.GetDouble()).ToArray(), dtype: ScalarType.Float64));
        }
        return data;
    }

    /// <summary>The reference posterior of <paramref name="folder"/>/reference.json, one entry per scalar parameter.</summary>
    public static IReadOnlyList<ReferenceValue> ReadReference(string folder)
    {
        using JsonDocument doc = Parse(Path.Combine(folder, "reference.json"));
        return doc.RootElement.GetProperty("parameters").EnumerateArray()
            .Select(p => new ReferenceValue(p.GetProperty("name").GetString()!, p.GetProperty("mean").GetDouble(),
                                            p.GetProperty("sd").GetDouble(), p.GetProperty("mcse_mean").GetDouble()))
            .ToList();
    }

    static JsonDocument Parse(string path)
    {
        Check.Argument(File.Exists(path), nameof(PosteriorDbFolder), "path", $"'{path}', which does not exist",
            "a posteriordb folder with data.json and reference.json", "Point to a folder laid out like ../shared/posteriordb/<posterior>.");
        return JsonDocument.Parse(File.ReadAllText(path));
    }
}
