using static TorchSharp.torch;

namespace BayesDL.Calibration;

/// <summary>
/// The tests of simulation-based calibration's ranks: Pearson's chi-square test of B equally likely bins, and the
/// band a bin count stays in with a given probability under uniformity (the grey band of Talts et al. 2018, Fig. 2).
/// </summary>
public static class RankUniformity
{
    /// <summary>
    /// Bins ranks r in 0..L into <paramref name="bins"/> equal groups of (L + 1) / B consecutive ranks.
    /// </summary>
    public static int[] Histogram(IReadOnlyList<int> ranks, int draws, int bins)
    {
        Validation.Check.Argument(bins >= 1 && (draws + 1) % bins == 0, nameof(RankUniformity), nameof(bins), $"{bins} with L = {draws}",
            $"a divisor of L + 1 = {draws + 1}");
        int width = (draws + 1) / bins;
        var counts = new int[bins];
        foreach (int r in ranks)
        {
            Validation.Check.Argument(r >= 0 && r <= draws, nameof(RankUniformity), nameof(ranks), r.ToString(), $"in [0, {draws}]");
            counts[r / width]++;
        }
        return counts;
    }

    /// <summary>Pearson's X^2 = sum_b (c_b - N/B)^2 / (N/B) for bin counts c_b of N values, B bins equally likely.</summary>
    public static double ChiSquare(IReadOnlyList<int> counts)
    {
        double n = counts.Sum(), expected = n / counts.Count;
        return counts.Sum(c => (c - expected) * (c - expected)) / expected;
    }

    /// <summary>
    /// P(chi^2_k &gt;= x) = Q(k/2, x/2), the regularized upper incomplete gamma function (the p-value of the chi-square
    /// test with k = B - 1 degrees of freedom).
    /// </summary>
    public static double ChiSquarePValue(double x, int degreesOfFreedom)
    {
        Validation.Check.Positive(degreesOfFreedom, nameof(RankUniformity), nameof(degreesOfFreedom));
        Validation.Check.NonNegative(x, nameof(RankUniformity), nameof(x));
        using var a = tensor(degreesOfFreedom / 2.0, dtype: ScalarType.Float64);
        using var z = tensor(x / 2.0, dtype: ScalarType.Float64);
        using var q = special.gammaincc(a, z);
        return q.item<double>();
    }

    /// <summary>
    /// The central band [lo, hi] of a bin count under uniformity, Binomial(N, 1/B): each bound the
    /// (1 -/+ <paramref name="probability"/>)/2 quantile, so one bin leaves the band with probability about 1 - probability.
    /// </summary>
    public static (int Low, int High) Band(int replications, int bins, double probability = 0.99)
    {
        Validation.Check.Positive(replications, nameof(RankUniformity), nameof(replications));
        Validation.Check.Positive(bins, nameof(RankUniformity), nameof(bins));
        Validation.Check.Argument(probability > 0 && probability < 1, nameof(RankUniformity), nameof(probability),
            probability.ToString("R"), "in (0, 1)");
        double p = 1.0 / bins, tail = (1 - probability) / 2, cdf = 0;
        int low = -1, high = replications;
        for (int k = 0; k <= replications; k++)
        {
            cdf += Math.Exp(LogBinomial(replications, k) + k * Math.Log(p) + (replications - k) * Math.Log(1 - p));
            if (low < 0 && cdf > tail) low = k;
            if (cdf >= 1 - tail) { high = k; break; }
        }
        return (Math.Max(low, 0), high);
    }

    static double LogBinomial(int n, int k) => LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);

    static double LogFactorial(int n)
    {
        double s = 0;
        for (int i = 2; i <= n; i++) s += Math.Log(i);
        return s;
    }
}
