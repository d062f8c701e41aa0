namespace BayesDL.Bench;

/// <summary>Resident memory of this process (native and managed), read from /proc where available.</summary>
public static partial class ProcessMemory
{
    /// <summary>Current resident set size in MiB (VmRSS).</summary>
    public static double RssMb() => ReadStatusKb("VmRSS:") is long kb ? kb / 1024.0 : Environment.WorkingSet / 1048576.0;

    /// <summary>Peak resident set size in MiB (VmHWM).</summary>
    public static double PeakRssMb() => ReadStatusKb("VmHWM:") is long kb ? kb / 1024.0 : Environment.WorkingSet / 1048576.0;

    /// <summary>
    /// Hands memory that native code has freed back to the OS (glibc <c>malloc_trim(0)</c>; nothing elsewhere) and returns
    /// the RSS afterwards. glibc keeps freed heap memory for reuse, and libtorch's many mid-sized, 64-byte-aligned
    /// temporaries fragment it, so without trimming the RSS of a long run grows with every prediction (measured: ~150 MB per
    /// T = 100 MC-dropout prediction over 2,000 images before the predictor preallocated its result, ~25-50 MB after;
    /// flat with trimming or with MALLOC_MMAP_THRESHOLD_=262144), although no tensor is leaked.
    /// </summary>
    public static double ReleaseFreedNativeMemory()
    {
        if (OperatingSystem.IsLinux())
        {
            try { MallocTrim(0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // not glibc (e.g. musl)
        }
        return RssMb();
    }

    /// <summary>
    /// Resets the peak resident set size (VmHWM) to the current RSS, so that <see cref="PeakRssMb"/> afterwards is the peak of what
    /// runs next alone (Linux 4.0 and later: "5" written to /proc/self/clear_refs). Returns false where that is not possible (then
    /// <see cref="PeakRssMb"/> stays the process's peak since it started).
    /// </summary>
    public static bool ResetPeak()
    {
        const string path = "/proc/self/clear_refs";
        if (!File.Exists(path)) return false;
        try
        {
            File.WriteAllText(path, "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

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
