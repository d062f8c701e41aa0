using System.Diagnostics;
using System.Globalization;
using System.Text;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Metrics;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// The UCI regression benchmark table (Hernández-Lobato &amp; Adams 2015; Gal &amp; Ghahramani 2016): for every data set of a
/// folder in the UCI layout (<c>NAME.csv</c> + <c>NAME.splits.json</c>, optionally <c>MANIFEST.json</c>; default
/// <c>data/uci</c>) and every recipe of <see cref="UciRecipes"/>, each split is standardised by its training rows, fitted, and
/// scored on the original scale: RMSE of the predictive mean and the average test log-likelihood of the full predictive
/// mixture (<see cref="RegressionScores"/>). Reports mean ± standard error over the splits and seconds per split, as a
/// Markdown table (<c>uci.md</c> in the output folder, with the published MC dropout figures beside the five bundled sets)
/// and in the JSON line, which also holds every split's figures and chosen hyperparameters.
/// Options: <c>--data DIR</c>, <c>--datasets a,b</c>, <c>--methods m1,m2</c>, <c>--splits N</c> (the first N), <c>--quick</c>
/// (the first split of yacht, or of the first data set, with <see cref="UciSettings.Quick"/>).
/// </summary>
public sealed class UciWorkload : IWorkload
{
    public string Name => "uci";
    public string Description => "UCI regression table: MC dropout, concrete dropout, ensemble, BBB; RMSE and test LL over the splits";

    /// <summary>Gal &amp; Ghahramani's MC dropout re-run (mean, standard error) for RMSE and test LL (data/uci/README.md).</summary>
    public static readonly IReadOnlyDictionary<string, (double Rmse, double RmseSe, double LL, double LLSe)> Published =
        new Dictionary<string, (double, double, double, double)>
        {
            ["concrete"] = (4.83, 0.16, -2.937, 0.026),
            ["energy"] = (0.539, 0.014, -1.212, 0.006),
            ["yacht"] = (0.666, 0.050, -1.250, 0.016),
            ["wine-quality-red"] = (0.622, 0.008, -0.928, 0.013),
            ["kin8nm"] = (0.0789, 0.0006, 1.136, 0.007),
        };

    public IDictionary<string, object> Run(BenchOptions options)
    {
        string folder = options.Value("--data") ?? Path.Combine(Mnist.FindDataDirectory(), "uci");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException(
                $"uci: the data folder '{folder}' does not exist; pass --data DIR (NAME.csv + NAME.splits.json).");
        string[] available = Directory.GetFiles(folder, "*.splits.json").Select(f => Path.GetFileName(f)[..^".splits.json".Length])
            .Where(n => File.Exists(Path.Combine(folder, n + ".csv"))).Order(StringComparer.Ordinal).ToArray();
        string[] datasets = List(options.Value("--datasets"))
                            ?? (options.Quick ? [available.Contains("yacht") ? "yacht" : available[0]] : available);
        foreach (string d in datasets.Where(d => !available.Contains(d)))
            throw new ArgumentException(
                $"uci: no data set '{d}' in {folder} (NAME.csv and NAME.splits.json); found {string.Join(", ", available)}.");
        string[] methods = List(options.Value("--methods")) ?? UciRecipes.Methods;
        foreach (string m in methods.Where(m => !UciRecipes.Methods.Contains(m)))
            throw new ArgumentException(
                $"uci: unknown method '{m}' in --methods; expected some of {string.Join(",", UciRecipes.Methods)}.");
        string? splitsText = options.Value("--splits");
        int splitLimit = splitsText is null ? (options.Quick ? 1 : int.MaxValue)
            : int.TryParse(splitsText, out int s) && s > 0 ? s
            : throw new ArgumentException($"uci: --splits must be a positive integer; found '{splitsText}'.");
        var settings = options.Quick ? UciSettings.Quick : new UciSettings();
        var total = Stopwatch.StartNew();

        var rows = new List<Row>();
        string tablePath = Path.Combine(options.OutputDirectory, "uci.md");
        foreach (string name in datasets)
        {
            var data = RegressionDataset.FromFolder(folder, name);
            int splits = Math.Min(splitLimit, data.Splits.Count);
            options.Progress($"{name}: {data.Count} rows, {data.Features} features, {splits} of {data.Splits.Count} splits");
            foreach (string method in methods)
            {
                var row = new Row(name, method);
                rows.Add(row);
                for (int i = 0; i < splits; i++)
                {
                    using var split = data.Split(i, ComputePolicy.Cpu);
                    var clock = Stopwatch.StartNew();
                    var outcome = UciRecipes.Run(method, split, settings, options.Seed * 1000 + i, options.Progress);
                    using var predictive = outcome.Predictive;
                    var scores = RegressionScores.Compute(predictive, split);
                    double seconds = clock.Elapsed.TotalSeconds;
                    row.Splits.Add(new SplitFigures(i, scores.RootMeanSquaredError, scores.TestLogLikelihood, seconds, outcome.Chosen));
                    options.Progress($"{name} {method} split {i}: RMSE {scores.RootMeanSquaredError:G4}, " +
                                     $"test LL {scores.TestLogLikelihood:F3} " +
                                     $"({seconds:F1} s; {string.Join(", ", outcome.Chosen.Select(c => $"{c.Key} {c.Value:G3}"))})");
                    ProcessMemory.ReleaseFreedNativeMemory();
                    // The table so far, after every split: a long run stopped early keeps what it measured.
                    File.WriteAllText(tablePath, Table(rows, settings, total.Elapsed.TotalSeconds));
                }
                options.Progress($"{name} {method}: RMSE {row.Rmse.Mean:G4} ± {row.Rmse.Se:G2}, " +
                                 $"test LL {row.LL.Mean:F3} ± {row.LL.Se:F3}, " +
                                 $"{row.Seconds:F1} s per split");
            }
        }

        string markdown = Table(rows, settings, total.Elapsed.TotalSeconds);
        File.WriteAllText(tablePath, markdown);
        Console.Error.WriteLine(markdown);
        return new Dictionary<string, object>
        {
            ["data"] = Path.GetFullPath(folder),
            ["table"] = tablePath,
            ["seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1),
            ["results"] = rows.Select(r => r.ToJson()).ToList(),
            ["settings"] = settings,
        };
    }

    static string[]? List(string? value) =>
        value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    static string Table(IReadOnlyList<Row> rows, UciSettings settings, double seconds)
    {
        var text = new StringBuilder();
        text.AppendLine("| data set | method | splits | RMSE | test LL | s / split | " +
                        "published MC dropout RMSE | published MC dropout LL |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in rows.Where(r => r.Splits.Count > 0))
        {
            string published = Published.TryGetValue(r.Dataset, out var p)
                ? $"{Format(p.Rmse, p.RmseSe)} | {p.LL:F3} ± {p.LLSe:F3}"
                : "- | -";
            text.AppendLine($"| {r.Dataset} | {r.Method} | {r.Splits.Count} | {Format(r.Rmse.Mean, r.Rmse.Se)} | " +
                            $"{r.LL.Mean:F3} ± {r.LL.Se:F3} | " +
                            $"{r.Seconds:F1} | {published} |");
        }
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Mean ± standard error over the splits; {seconds / 60:F1} minutes in all; settings {settings} " +
            $"(dropout grid {string.Join(", ", settings.DropoutRates)})."));
        return text.ToString();
    }

    /// <summary>A mean ± standard error with three significant digits in the error.</summary>
    static string Format(double mean, double se)
    {
        int digits = se > 0 ? Math.Clamp(2 - (int)Math.Floor(Math.Log10(se)), 0, 6) : 3;
        return mean.ToString("F" + digits, CultureInfo.InvariantCulture) + " ± " + se.ToString("F" + digits, CultureInfo.InvariantCulture);
    }

    sealed record SplitFigures(int Split, double Rmse, double LL, double Seconds, IReadOnlyDictionary<string, double> Chosen);

    sealed class Row(string dataset, string method)
    {
        public string Dataset { get; } = dataset;
        public string Method { get; } = method;
        public List<SplitFigures> Splits { get; } = [];
        public (double Mean, double Se) Rmse => Summary(Splits.Select(s => s.Rmse));
        public (double Mean, double Se) LL => Summary(Splits.Select(s => s.LL));
        public double Seconds => Splits.Average(s => s.Seconds);

        /// <summary>Mean and standard error sd / sqrt(n) (sample sd; 0 for one split).</summary>
        static (double Mean, double Se) Summary(IEnumerable<double> values)
        {
            double[] v = values.ToArray();
            double mean = v.Average();
            double se = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1) / v.Length) : 0;
            return (mean, se);
        }

        public Dictionary<string, object> ToJson() => new()
        {
            ["dataset"] = Dataset,
            ["method"] = Method,
            ["splits"] = Splits.Count,
            ["rmse_mean"] = Rmse.Mean,
            ["rmse_se"] = Rmse.Se,
            ["test_ll_mean"] = LL.Mean,
            ["test_ll_se"] = LL.Se,
            ["seconds_per_split"] = Math.Round(Seconds, 2),
            ["per_split"] = Splits.Select(s => new Dictionary<string, object>
            {
                ["split"] = s.Split,
                ["rmse"] = s.Rmse,
                ["test_ll"] = s.LL,
                ["seconds"] = Math.Round(s.Seconds, 2),
                ["chosen"] = s.Chosen,
            }).ToList(),
        };
    }
}
