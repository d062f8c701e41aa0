namespace BayesDL.Bench;

/// <summary>Resident memory of this process (native and managed), read from /proc where available.</summary>
public static class ProcessMemory
{
    /// <summary>Current resident set size in MiB (VmRSS).</summary>
    public static double RssMb() => ReadStatusKb("VmRSS:") is long kb ? kb / 1024.0 : Environment.WorkingSet / 1048576.0;

    /// <summary>Peak resident set size in MiB (VmHWM).</summary>
    public static double PeakRssMb() => ReadStatusKb("VmHWM:") is long kb ? kb / 1024.0 : Environment.WorkingSet / 1048576.0;

    static long? ReadStatusKb(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (string line in File.ReadLines(path))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]);
        return null;
    }
}
