namespace BayesDL.Bench;

/// <summary>
/// One benchmark workload. Contract (README, "Benchmarks"): <c>-- NAME</c> runs it, progress goes to
/// stderr, and the last stdout line is one JSON object with its figures; <c>--quick</c> runs a
/// seconds-long version for smoke tests (same keys, smaller numbers of steps).
/// </summary>
public interface IWorkload
{
    /// <summary>The name given on the command line.</summary>
    string Name { get; }

    /// <summary>One line for the list of workloads.</summary>
    string Description { get; }

    /// <summary>Runs the workload and returns its figures (JSON-serialisable values).</summary>
    IDictionary<string, object> Run(BenchOptions options);
}

/// <summary>
/// A workload with a memory run: a process that trains and evaluates only one model, as the PyTorch reference's memory
/// figures were taken (<c>--library-only</c>: the library's model; <c>--bare-loop-only</c>: the same model in a bare TorchSharp
/// loop, where the workload has one). The caller marks "loaded" before and adds <paramref name="phases"/>' figures after.
/// </summary>
public interface IMemoryRunWorkload : IWorkload
{
    /// <summary>
    /// Loads the data (then marks "data"), trains (marks "trained") and evaluates (marks "evaluated") the library's model, or
    /// the bare loop's when <paramref name="bareLoop"/>; returns the evaluation's figures.
    /// </summary>
    IDictionary<string, object> RunMemory(BenchOptions options, MemoryPhases phases, bool bareLoop);
}

/// <summary>Options shared by all workloads.</summary>
/// <param name="Quick">Seconds-long smoke-test version.</param>
/// <param name="OutputDirectory">Where PNGs and other artefacts go.</param>
/// <param name="Seed">Seed of the run (<c>--seed N</c>, default 1), for workloads that report it; the same seed
/// repeats a run exactly.</param>
public sealed record BenchOptions(bool Quick, string OutputDirectory, long Seed = 1)
{
    /// <summary>The whole command line, for workloads with options of their own (e.g. <c>uci --datasets yacht</c>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The value after <paramref name="option"/> on the command line, or null when the option is absent.</summary>
    public string? Value(string option)
    {
        int at = Arguments.ToList().IndexOf(option);
        if (at < 0) return null;
        return at + 1 < Arguments.Count && !Arguments[at + 1].StartsWith("--")
            ? Arguments[at + 1]
            : throw new ArgumentException($"The option {option} needs a value, e.g. {option} VALUE.");
    }

    /// <summary>Writes a progress line to stderr.</summary>
    public void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
