using BayesDL.Engine;

namespace BayesDL.Bench;

/// <summary>
/// Resident memory at the phase boundaries of a memory run (<c>--library-only</c> or <c>--bare-loop-only</c>): at each
/// <see cref="Mark"/> the current RSS (VmRSS), the peak so far (VmHWM) and the managed heap. With
/// <c>--trim-between-phases</c> each mark first returns freed native memory to the OS (<see cref="NativeAllocator.ReleaseFreedMemory"/>)
/// and records the RSS after it, so the next phase starts from what is live. The figures go into the workload's JSON as
/// <c>rss_mb_PHASE</c>, <c>peak_rss_mb_PHASE</c>, <c>managed_mb_PHASE</c> (and <c>rss_mb_PHASE_trimmed</c>) and <c>peak_rss_mb</c>,
/// the process's peak: the figure the PyTorch reference gives for a process that trains and evaluates one model.
/// </summary>
public sealed class MemoryPhases(bool trimBetweenPhases, Action<string> progress)
{
    readonly SortedDictionary<string, object> _figures = new();

    /// <summary>Records the memory at the end of phase <paramref name="phase"/> (e.g. "loaded", "data", "trained", "evaluated").</summary>
    public void Mark(string phase)
    {
        double rss = ProcessMemory.RssMb(), peak = ProcessMemory.PeakRssMb(), managed = GC.GetTotalMemory(false) / 1048576.0;
        _figures[$"rss_mb_{phase}"] = Math.Round(rss, 1);
        _figures[$"peak_rss_mb_{phase}"] = Math.Round(peak, 1);
        _figures[$"managed_mb_{phase}"] = Math.Round(managed, 1);
        // Tensors made outside any dispose scope are freed only by the GC's finalizer: their native memory waits for a
        // collection, which the managed heap (a few MB) seldom triggers.
        var stats = TorchSharp.DisposeScopeManager.Statistics;
        _figures[$"tensors_outside_scope_{phase}"] = stats.CreatedOutsideScopeCount - stats.DisposedOutsideScopeCount;
        _figures[$"gen0_collections_{phase}"] = GC.CollectionCount(0);
        // Minor page faults so far: what mapping fresh memory costs (each first touch of a page zeroes it), a measure of an
        // allocator setting's extra work that does not depend on the machine's load as timings do.
        if (MinorFaults() is long faults) _figures[$"minor_faults_{phase}"] = faults;
        string trimmed = "";
        if (trimBetweenPhases)
        {
            NativeAllocator.ReleaseFreedMemory();
            double after = ProcessMemory.RssMb();
            _figures[$"rss_mb_{phase}_trimmed"] = Math.Round(after, 1);
            trimmed = $", {after:F0} MB after malloc_trim";
        }
        progress($"memory after '{phase}': RSS {rss:F0} MB{trimmed}, peak {peak:F0} MB, managed heap {managed:F0} MB, tensors " +
            $"made outside scopes and not disposed {stats.CreatedOutsideScopeCount - stats.DisposedOutsideScopeCount}, " +
            $"gen-0 collections {GC.CollectionCount(0)}");
    }

    /// <summary>Minor page faults of this process so far (field 10 of /proc/self/stat), or null where there is none.</summary>
    static long? MinorFaults()
    {
        const string path = "/proc/self/stat";
        if (!File.Exists(path)) return null;
        string stat = File.ReadAllText(path);
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, minflt field 10.
        string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(rest[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The figures of every mark and the process's peak RSS so far.</summary>
    public IDictionary<string, object> Figures()
    {
        // Linux counts each thread's resident pages in batches of 64 before adding them to the process's figure, so VmHWM
        // read twice can fall by a fraction of a MB: the process's peak is the largest of the readings.
        double peak = _figures.Where(f => f.Key.StartsWith("peak_rss_mb_", StringComparison.Ordinal))
            .Select(f => (double)f.Value).Append(Math.Round(ProcessMemory.PeakRssMb(), 1)).Max();
        return new SortedDictionary<string, object>(_figures) { ["peak_rss_mb"] = peak };
    }
}
