namespace BayesDL.Mcmc;

/// <summary>
/// Stan's windowed warm-up (Stan reference manual, "Automatic parameter tuning"): a fast initial buffer (75
/// iterations) adapting only the step size, slow windows (25, 50, 100, ... iterations, the last stretched to
/// the end) each ending with a new mass matrix from that window's draws, and a terminal buffer (50)
/// adapting the step size to the final metric. Short warm-ups scale the buffers to 15% / 75% / 10%.
/// </summary>
internal sealed record WarmupSchedule(int FirstWindowStart, IReadOnlyList<int> WindowEnds)
{
    internal static WarmupSchedule For(int warmup, bool adaptMassMatrix)
    {
        if (!adaptMassMatrix || warmup < 20) return new(warmup, Array.Empty<int>());
        int init = 75, term = 50, size = 25;
        if (warmup < init + term + size)
        {
            init = (int)(0.15 * warmup);
            term = (int)(0.1 * warmup);
            size = warmup - init - term;
        }
        var ends = new List<int>();
        int start = init, last = warmup - term;
        while (start < last)
        {
            int end = start + size;
            if (end + 2 * size >= last) end = last; // the next, doubled window would not fit: stretch this one
            ends.Add(end - 1);
            start = end;
            size *= 2;
        }
        return new(init, ends);
    }

    /// <summary>True when iteration <paramref name="i"/> lies in a slow window (its draw feeds the variance estimate).</summary>
    internal bool InWindow(int i) => WindowEnds.Count > 0 && i >= FirstWindowStart && i <= WindowEnds[^1];

    /// <summary>True when iteration <paramref name="i"/> closes a slow window.</summary>
    internal bool EndsWindow(int i) => WindowEnds.Contains(i);
}
