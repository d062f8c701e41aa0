using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
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
/// (the first split of yacht, or of the first data set, with <see cref="UciSettings.Quick"/>), <c>--workers N</c> (N child
/// processes with one engine thread each share the fits; on 2 cores, 2 workers halve the wall time of the table),
/// <c>--published-splits DIR</c> (a checkout of Gal &amp; Ghahramani's DropoutUncertaintyExps: every row's test log-likelihood is
/// then also compared split by split with their published per-split MC dropout figures, <see cref="PublishedSplits"/>).
/// </summary>
public sealed class UciWorkload : IWorkload
{
    public string Name => "uci";
    public string Description =>
        "UCI regression table: MC dropout, concrete dropout, ensemble, BBB, Laplace, SWAG, SGHMC; RMSE and test LL over the splits";

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
        foreach (string m in methods.Where(m => !UciRecipes.Methods.Contains(m) && !UciRecipes.OptIn.Contains(m)))
            throw new ArgumentException(
                $"uci: unknown method '{m}' in --methods; expected some of " +
                $"{string.Join(",", UciRecipes.Methods.Concat(UciRecipes.OptIn))}.");
        string? splitsText = options.Value("--splits");
        int splitLimit = splitsText is null ? (options.Quick ? 1 : int.MaxValue)
            : int.TryParse(splitsText, out int s) && s > 0 ? s
            : throw new ArgumentException($"uci: --splits must be a positive integer; found '{splitsText}'.");
        var settings = options.Quick ? UciSettings.Quick : new UciSettings();
        string? publishedFolder = options.Value("--published-splits");
        if (publishedFolder is not null && !Directory.Exists(publishedFolder))
            throw new DirectoryNotFoundException($"uci: --published-splits '{publishedFolder}' does not exist; pass a checkout of " +
                                                 "DropoutUncertaintyExps (its UCI_Datasets/NAME/results/ files).");
        var total = Stopwatch.StartNew();

        var catalog = datasets.ToDictionary(d => d, d => RegressionDataset.FromFolder(folder, d));
        var published = new Dictionary<string, (string Path, double[] LL)>();
        foreach (string d in publishedFolder is null ? [] : datasets)
        {
            if (PublishedSplits(publishedFolder!, d) is not var (path, theirs)) continue;
            int needed = Math.Min(splitLimit, catalog[d].Splits.Count);
            if (theirs.Length < needed)
                throw new FormatException($"uci: {path} has {theirs.Length} per-split figures; the run scores {needed} splits of {d}.");
            published[d] = (path, theirs);
        }
        // The table's rows: every requested (data set, method), except the published-grid MC dropout where no grid is known.
        var keys = (from d in datasets
                    from m in methods
                    where m != UciRecipes.PublishedGridMCDropout || UciRecipes.PublishedTauGrids.ContainsKey(d)
                    select (Dataset: d, Method: m)).ToArray();
        // The jobs, in table order: one split of one method, except MC dropout's: groups of splits whose fits train together,
        // each job making both MC dropout rows of its data set. A worker of --workers runs the jobs whose position is its index
        // modulo N.
        var jobs = (from d in datasets
                    from m in methods.Where(m => m != UciRecipes.PublishedGridMCDropout || !methods.Contains("mc-dropout"))
                    let made = m is "mc-dropout" or UciRecipes.PublishedGridMCDropout
                        ? keys.Where(k => k.Dataset == d && k.Method is "mc-dropout" or UciRecipes.PublishedGridMCDropout)
                            .Select(k => k.Method).ToArray()
                        : [m]
                    where made.Length > 0
                    from g in Enumerable.Range(0, Math.Min(splitLimit, catalog[d].Splits.Count))
                        .Chunk(m is "mc-dropout" or UciRecipes.PublishedGridMCDropout ? UciRecipes.MCDropoutSplitsPerFit : 1)
                    select (Dataset: d, Method: m, Makes: made, Splits: g)).ToArray();
        int fits = jobs.Sum(j => j.Splits.Length * j.Makes.Length);
        string tablePath = Path.Combine(options.OutputDirectory, "uci.md");
        var shard = Shard(options.Value("--shard"));
        int workers = Workers(options.Value("--workers"));
        List<SplitResult> results;
        if (shard is null && workers > 1)
        {
            options.Progress($"{fits} fits in {jobs.Length} jobs over {workers} worker processes (one engine thread each)");
            results = RunWorkers(options, workers, fits,
                partial => File.WriteAllText(tablePath, Table(Rows(partial, keys), settings, total.Elapsed.TotalSeconds, published)));
        }
        else
        {
            var (index, count) = shard ?? (0, 1);
            string resultsPath = Path.Combine(options.OutputDirectory, ResultsFile);
            File.WriteAllText(resultsPath, "");
            results = [];
            foreach (var name in datasets)
                options.Progress($"{name}: {catalog[name].Count} rows, {catalog[name].Features} features, " +
                                 $"{Math.Min(splitLimit, catalog[name].Splits.Count)} of {catalog[name].Splits.Count} splits");
            for (int j = index; j < jobs.Length; j += count)
            {
                var (name, method, makes, group) = jobs[j];
                var splits = group.Select(i => catalog[name].Split(i, ComputePolicy.Cpu)).ToArray();
                try
                {
                    var clock = Stopwatch.StartNew();
                    var seeds = group.Select(i => options.Seed * 1000 + i).ToArray();
                    IReadOnlyList<IReadOnlyDictionary<string, UciRecipes.Outcome>> outcomes =
                        method is "mc-dropout" or UciRecipes.PublishedGridMCDropout
                            ? UciRecipes.MCDropout(splits, settings, seeds,
                                makes.Contains(UciRecipes.PublishedGridMCDropout) ? UciRecipes.PublishedTauGrids[name] : null,
                                options.Progress)
                            : [new Dictionary<string, UciRecipes.Outcome>
                                { [method] = UciRecipes.Run(method, splits[0], settings, seeds[0], options.Progress) }];
                    double seconds = clock.Elapsed.TotalSeconds / splits.Length;
                    foreach (var (k, made) in from k in Enumerable.Range(0, splits.Length) from made in makes select (k, made))
                    {
                        var outcome = outcomes[k][made];
                        using var predictive = outcome.Predictive;
                        var scores = RegressionScores.Compute(predictive, splits[k]);
                        var result = new SplitResult(name, made, group[k], scores.RootMeanSquaredError, scores.TestLogLikelihood,
                            seconds, new Dictionary<string, double>(outcome.Chosen));
                        results.Add(result);
                        string chosen = string.Join(", ", result.Chosen.Select(c => $"{c.Key} {c.Value:G3}"));
                        options.Progress($"{name} {made} split {group[k]}: RMSE {result.Rmse:G4}, test LL {result.LL:F3} " +
                                         $"({result.Seconds:F1} s; {chosen})");
                        // Every finished split at once, on disk: a long run stopped early keeps what it measured, and a parent of
                        // --workers reads its workers' results from here.
                        File.AppendAllText(resultsPath, JsonSerializer.Serialize(result, Json) + "\n");
                    }
                }
                finally
                {
                    foreach (var split in splits) split.Dispose();
                }
                ProcessMemory.ReleaseFreedNativeMemory();
                if (shard is null)
                    File.WriteAllText(tablePath, Table(Rows(results, keys), settings, total.Elapsed.TotalSeconds, published));
            }
            if (shard is not null) return new Dictionary<string, object> { ["shard"] = $"{index}/{count}", ["fits"] = results.Count };
        }

        var rows = Rows(results, keys);
        foreach (var r in rows)
            options.Progress($"{r.Dataset} {r.Method}: RMSE {r.Rmse.Mean:G4} ± {r.Rmse.Se:G2}, test LL {r.LL.Mean:F3} ± {r.LL.Se:F3}, " +
                             $"{r.Seconds:F1} s per split");
        string markdown = Table(rows, settings, total.Elapsed.TotalSeconds, published);
        File.WriteAllText(tablePath, markdown);
        Console.Error.WriteLine(markdown);
        return new Dictionary<string, object>
        {
            ["data"] = Path.GetFullPath(folder),
            ["table"] = tablePath,
            ["seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1),
            ["workers"] = workers,
            ["results"] = rows.Select(r => r.ToJson(published.TryGetValue(r.Dataset, out var p) ? p.LL : null)).ToList(),
            ["settings"] = settings,
        };
    }

    /// <summary>
    /// Gal &amp; Ghahramani's per-split test log-likelihoods of <paramref name="dataset"/> in a DropoutUncertaintyExps checkout
    /// (<c>UCI_Datasets/NAME/results/test_ll_100_xepochs_1_hidden_layers.txt</c>, one number per line in split order: the run
    /// behind the published figures), with the file's path; null when the checkout has no such file. They ran the same 20 splits,
    /// so a row's figures pair with theirs split by split: the mean of the differences has a far smaller standard error than either
    /// mean, since the splits' own difficulty, shared by both, cancels. Throws <see cref="FormatException"/> naming the file and
    /// the line that is not a number (the run refuses a file with fewer figures than splits it scores).
    /// </summary>
    internal static (string Path, double[] LL)? PublishedSplits(string folder, string dataset)
    {
        string path = Path.Combine(folder, "UCI_Datasets", dataset, "results", "test_ll_100_xepochs_1_hidden_layers.txt");
        if (!File.Exists(path)) return null;
        string[] lines = File.ReadAllLines(path);
        var values = new List<double>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            values.Add(double.TryParse(lines[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
                ? v
                : throw new FormatException($"uci: {path} line {i + 1}: expected a test log-likelihood; found '{lines[i]}'."));
        }
        return (path, values.ToArray());
    }

    /// <summary>The file, in the output folder, that holds one JSON line per finished split.</summary>
    const string ResultsFile = "uci-splits.jsonl";

    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The rows of the table in the order of <paramref name="keys"/>, each with its splits in split order.</summary>
    static List<Row> Rows(IEnumerable<SplitResult> results, IEnumerable<(string Dataset, string Method)> keys)
    {
        var done = results.ToLookup(r => (r.Dataset, r.Method));
        return keys
            .Select(key => new Row(key.Dataset, key.Method, done[key].OrderBy(r => r.Split).ToList())).ToList();
    }

    /// <summary><c>--shard k/N</c> (a worker of <c>--workers N</c>): the worker's index and the worker count, or null.</summary>
    static (int Index, int Count)? Shard(string? text)
    {
        if (text is null) return null;
        string[] parts = text.Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], out int k) && int.TryParse(parts[1], out int n) && n > 0 && k >= 0 && k < n
            ? (k, n)
            : throw new ArgumentException($"uci: --shard must be k/N with 0 <= k < N; found '{text}'.");
    }

    /// <summary><c>--workers N</c>: the worker processes (1 by default: the run stays in this process).</summary>
    static int Workers(string? text) =>
        text is null ? 1
        : int.TryParse(text, out int n) && n > 0 ? n
        : throw new ArgumentException($"uci: --workers must be a positive integer; found '{text}'.");

    /// <summary>
    /// Runs the jobs in <paramref name="workers"/> child processes of this benchmark, worker k with <c>--shard k/N</c>, one engine
    /// thread and its own output folder, and collects their result lines; about every 30 s <paramref name="partial"/> gets what has
    /// finished so far. Workers share nothing but the data files, so their fits are the ones a single process would make.
    /// </summary>
    static List<SplitResult> RunWorkers(BenchOptions options, int workers, int jobCount, Action<List<SplitResult>> partial)
    {
        string[] own = ["--workers", "--out", "--threads", "--shard"];
        var passed = new List<string>();
        for (int a = 0; a < options.Arguments.Count; a++)
        {
            if (own.Contains(options.Arguments[a])) a++;
            else passed.Add(options.Arguments[a]);
        }
        // Workers run this benchmark's assembly on the dotnet host: the one running us, the SDK's (a test host), or the one on PATH.
        string host = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var children = new List<(Process Process, string Folder, Task Output)>();
        for (int k = 0; k < workers; k++)
        {
            string folder = Path.Combine(options.OutputDirectory, $"uci-worker-{k}");
            Directory.CreateDirectory(folder);
            var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add(typeof(UciWorkload).Assembly.Location);
            foreach (string a in passed) start.ArgumentList.Add(a);
            foreach (string a in new[] { "--shard", $"{k}/{workers}", "--out", folder, "--threads", "1" }) start.ArgumentList.Add(a);
            var process = Process.Start(start) ?? throw new InvalidOperationException($"uci: worker {k} did not start.");
            // A worker's stdout is its own JSON line, not the run's: read and dropped (stderr, the progress, goes to ours).
            children.Add((process, folder, process.StandardOutput.ReadToEndAsync()));
        }
        List<SplitResult> Collect() => children.SelectMany(c => ReadResults(Path.Combine(c.Folder, ResultsFile))).ToList();
        while (!children.All(c => c.Process.WaitForExit(TimeSpan.FromSeconds(30)))) partial(Collect());
        foreach (var (process, _, output) in children)
        {
            output.Wait();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"uci: a worker process exited with code {process.ExitCode}; see its messages above.");
        }
        var results = Collect();
        if (results.Count != jobCount)
            throw new InvalidOperationException($"uci: the workers finished {results.Count} of {jobCount} fits.");
        return results;
    }

    static IEnumerable<SplitResult> ReadResults(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<SplitResult>(l, Json)!)
            : [];

    static string[]? List(string? value) =>
        value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    static string Table(IReadOnlyList<Row> rows, UciSettings settings, double seconds,
        IReadOnlyDictionary<string, (string Path, double[] LL)> perSplit)
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
        var paired = rows.Where(r => r.Splits.Count > 0 && perSplit.ContainsKey(r.Dataset)).ToList();
        if (paired.Count == 0) return text.ToString();
        text.AppendLine();
        text.AppendLine("Test LL against Gal & Ghahramani's per-split MC dropout figures on the same splits (--published-splits): their " +
                        "mean and standard error over these splits, and the mean of the split-by-split differences with its own " +
                        "standard error.");
        text.AppendLine();
        text.AppendLine("| data set | method | splits | test LL | published test LL | difference, paired | within published SE |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in paired)
        {
            double[] theirs = perSplit[r.Dataset].LL;
            var (them, difference) = (r.Published(theirs), r.PairedDifference(theirs));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Dataset} | {r.Method} | {r.Splits.Count} | {r.LL.Mean:F4} ± {r.LL.Se:F4} | {them.Mean:F4} ± {them.Se:F4} | " +
                $"{difference.Mean:+0.0000;-0.0000} ± {difference.Se:F4} | {(Math.Abs(difference.Mean) <= them.Se ? "yes" : "no")} |"));
        }
        return text.ToString();
    }

    /// <summary>A mean ± standard error with three significant digits in the error.</summary>
    static string Format(double mean, double se)
    {
        int digits = se > 0 ? Math.Clamp(2 - (int)Math.Floor(Math.Log10(se)), 0, 6) : 3;
        return mean.ToString("F" + digits, CultureInfo.InvariantCulture) + " ± " + se.ToString("F" + digits, CultureInfo.InvariantCulture);
    }

    /// <summary>One fit's figures: a data set, a method, a split.</summary>
    sealed record SplitResult(string Dataset, string Method, int Split, double Rmse, double LL, double Seconds,
        Dictionary<string, double> Chosen);

    sealed class Row(string dataset, string method, List<SplitResult> splits)
    {
        public string Dataset { get; } = dataset;
        public string Method { get; } = method;
        public List<SplitResult> Splits { get; } = splits;
        public (double Mean, double Se) Rmse => Summary(Splits.Select(s => s.Rmse));
        public (double Mean, double Se) LL => Summary(Splits.Select(s => s.LL));
        public double Seconds => Splits.Average(s => s.Seconds);

        /// <summary>The published per-split figures of this row's splits: their mean and standard error.</summary>
        public (double Mean, double Se) Published(double[] theirs) => Summary(Theirs(theirs));

        /// <summary>Mean and standard error of (this row's LL − the published LL), split by split.</summary>
        public (double Mean, double Se) PairedDifference(double[] theirs) => Summary(Splits.Zip(Theirs(theirs), (s, t) => s.LL - t));

        IEnumerable<double> Theirs(double[] theirs) => Splits.Select(s => theirs[s.Split]);

        /// <summary>Mean and standard error sd / sqrt(n) (sample sd; 0 for one split).</summary>
        static (double Mean, double Se) Summary(IEnumerable<double> values)
        {
            double[] v = values.ToArray();
            double mean = v.Average();
            double se = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1) / v.Length) : 0;
            return (mean, se);
        }

        public Dictionary<string, object> ToJson(double[]? published)
        {
            var json = ToJson();
            if (published is double[] theirs)
            {
                var (them, difference) = (Published(theirs), PairedDifference(theirs));
                json["published_test_ll_mean"] = them.Mean;
                json["published_test_ll_se"] = them.Se;
                json["paired_test_ll_difference"] = difference.Mean;
                json["paired_test_ll_difference_se"] = difference.Se;
            }
            return json;
        }

        Dictionary<string, object> ToJson() => new()
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
