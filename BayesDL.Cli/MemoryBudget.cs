using System.Globalization;

namespace BayesDL.Cli;

/// <summary>
/// Bounds size options (<c>--samples</c>, <c>--points</c>, ...) by the memory they would need, before anything is allocated:
/// an absurd value is a usage error naming the bytes needed, the bytes available and the largest value that fits, instead
/// of a run that ends when memory runs out. Available memory is the kernel's estimate for new allocations (MemAvailable in
/// /proc/meminfo) where there is one, else what the runtime reports as available to the process.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>Bytes that can be allocated now without swapping, as best the platform tells.</summary>
    public static long Available()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not Linux, or no /proc: fall back to the runtime's figure.
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>
    /// Throws an <see cref="InputException"/> when <paramref name="value"/> units of <paramref name="bytesPerUnit"/> bytes each
    /// exceed <paramref name="available"/> bytes (default: <see cref="Available"/>). <paramref name="what"/> says what is
    /// allocated and how the estimate is made, e.g. "the predictive for 40 images x 3 classes (T x N x K x 4 bytes x 4 copies)".
    /// </summary>
    public static void Require(string option, long value, double bytesPerUnit, string what, long? available = null)
    {
        long limit = available ?? Available();
        double needed = value * bytesPerUnit;
        if (needed <= limit) return;
        long largest = (long)Math.Floor(limit / bytesPerUnit);
        throw new InputException(
            $"{option} {value}: {what} needs about {Bytes(needed)}, more than the {Bytes(limit)} of memory available; " +
            (largest >= 1 ? $"use {option} {largest} or fewer." : "free some memory or use a smaller input."));
    }

    /// <summary>A byte count with thousands separators and its size in GiB, e.g. "3,840,000,000 bytes (3.6 GiB)".</summary>
    static string Bytes(double bytes) =>
        string.Format(CultureInfo.InvariantCulture, "{0:N0} bytes ({1:0.#} GiB)", bytes, bytes / (1L << 30));
}
