using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Convergence and efficiency diagnostics of Markov chains for one scalar quantity, as in Stan
/// (Gelman et al., BDA3 ch. 11; Vehtari, Gelman, Simpson, Carpenter &amp; Buerkner 2021, "Rank-normalization,
/// folding, and localization: an improved R-hat"). Input: <c>chains[j][i]</c>, draw i of chain j, all chains
/// of equal length &gt;= 4. Each chain is split in halves first so that a drifting chain shows up as two
/// disagreeing ones. Results are NaN when the draws are all equal (no variance: the diagnostics are undefined).
/// </summary>
public static class McmcDiagnostics
{
    /// <summary>
    /// Effective sample size for the mean (split chains, Geyer's initial monotone sequence):
    /// ESS = M N / tau, tau = -1 + 2 sum_t rho_t with rho_t = 1 - (W - mean_j acov_j(t)) / var+,
    /// W the mean within-chain variance and var+ = (N-1)/N W + B/N (BDA3 eq. 11.3, 11.7-11.10). The
    /// sum runs over pairs rho_{2k} + rho_{2k+1} while positive, made monotone (Geyer 1992). The MCSE of
    /// the mean is sd / sqrt(ESS).
    /// </summary>
    public static double EffectiveSampleSize(IReadOnlyList<double[]> chains) => Ess(Split(Checked(chains)));

    /// <summary>Bulk ESS: <see cref="EffectiveSampleSize"/> of the rank-normalized split chains (Vehtari et al. 2021, sec. 4.2).</summary>
    public static double BulkEffectiveSampleSize(IReadOnlyList<double[]> chains) => Ess(RankNormalize(Split(Checked(chains))));

    /// <summary>
    /// Rank-normalized split-R-hat (Vehtari et al. 2021, sec. 4.2): the larger of the split-R-hat of the
    /// rank-normalized draws (bulk: location) and of the rank-normalized folded draws |x - median| (tail: scale).
    /// Split-R-hat = sqrt(var+ / W). Near 1 when chains agree; &gt; 1.01 suggests they have not mixed.
    /// </summary>
    public static double SplitRHat(IReadOnlyList<double[]> chains)
    {
        double[][] split = Split(Checked(chains));
        double median = Median(split.SelectMany(c => c).ToArray());
        double[][] folded = split.Select(c => c.Select(v => Math.Abs(v - median)).ToArray()).ToArray();
        return Math.Max(RHat(RankNormalize(split)), RHat(RankNormalize(folded)));
    }

    /// <summary>
    /// Classic (non-rank) split-R-hat sqrt(var+ / W) of BDA3 eq. 11.4 on split chains: reported alongside the
    /// rank-normalized one for comparison with older software.
    /// </summary>
    public static double ClassicSplitRHat(IReadOnlyList<double[]> chains) => RHat(Split(Checked(chains)));

    static IReadOnlyList<double[]> Checked(IReadOnlyList<double[]> chains)
    {
        const string who = nameof(McmcDiagnostics);
        Validation.Check.Argument(chains is not null && chains.Count >= 1, who, "chains",
            $"{chains?.Count ?? 0} chains", "at least one chain");
        int n = chains![0].Length;
        for (int j = 0; j < chains.Count; j++)
        {
            Validation.Check.Argument(chains[j].Length == n, who, "chains", $"chain {j} with {chains[j].Length} draws",
                $"{n} draws like chain 0", "Pass chains of equal length.");
            int bad = Array.FindIndex(chains[j], v => !double.IsFinite(v));
            Validation.Check.Argument(bad < 0, who, "chains", bad < 0 ? "" : $"{chains[j][bad]} at chain {j}, draw {bad}", "finite draws");
        }
        Validation.Check.Argument(n >= 4, who, "chains", $"{n} draws per chain", "at least 4 draws per chain (each is split in halves)");
        return chains;
    }

    /// <summary>Each chain cut into its first and second half (the middle draw of an odd chain is dropped).</summary>
    static double[][] Split(IReadOnlyList<double[]> chains)
    {
        int half = chains[0].Length / 2, offset = chains[0].Length - half;
        return chains.SelectMany(c => new[] { c[..half], c[offset..] }).ToArray();
    }

    /// <summary>z = Phi^-1((r - 3/8) / (S + 1/4)) of the pooled average ranks r among S draws (Blom 1958).</summary>
    static double[][] RankNormalize(double[][] chains)
    {
        int m = chains.Length, n = chains[0].Length, s = m * n;
        double[] all = chains.SelectMany(c => c).ToArray();
        int[] order = Enumerable.Range(0, s).ToArray();
        Array.Sort(all.ToArray(), order);
        var ranks = new double[s];
        for (int i = 0; i < s;)
        {
            int k = i;
            while (k + 1 < s && all[order[k + 1]] == all[order[i]]) k++;
            double average = (i + k) / 2.0 + 1; // ties share their average rank (1-based)
            for (int t = i; t <= k; t++) ranks[order[t]] = average;
            i = k + 1;
        }
        NativeEngine.EnsureLoaded();
        using var p = tensor(ranks.Select(r => (r - 0.375) / (s + 0.25)).ToArray(), dtype: ScalarType.Float64);
        using var z = special.ndtri(p);
        double[] flat = z.data<double>().ToArray();
        return Enumerable.Range(0, m).Select(j => flat[(j * n)..((j + 1) * n)]).ToArray();
    }

    static double RHat(double[][] chains)
    {
        (double w, double varPlus) = Variances(chains);
        return Math.Sqrt(varPlus / w);
    }

    /// <summary>W = mean within-chain variance, var+ = (N-1)/N W + B/N with B/N the variance of the chain means.</summary>
    static (double W, double VarPlus) Variances(double[][] chains)
    {
        int m = chains.Length, n = chains[0].Length;
        double[] means = chains.Select(c => c.Average()).ToArray();
        double w = chains.Select((c, j) => c.Sum(v => (v - means[j]) * (v - means[j])) / (n - 1)).Average();
        double grand = means.Average();
        double bOverN = m > 1 ? means.Sum(v => (v - grand) * (v - grand)) / (m - 1) : 0;
        return (w, (n - 1.0) / n * w + bOverN);
    }

    /// <summary>Stan's and ArviZ's estimator, on already split chains.</summary>
    static double Ess(double[][] chains)
    {
        int m = chains.Length, n = chains[0].Length;
        (double w, double varPlus) = Variances(chains);
        if (!(w > 0)) return double.NaN;
        double[][] centred = chains.Select(c => { double mean = c.Average(); return c.Select(v => v - mean).ToArray(); }).ToArray();
        // Mean over chains of the biased autocovariance at lag t (denominator N), computed lag by lag as needed.
        double Acov(int t) => centred.Average(c => { double s = 0; for (int i = 0; i + t < n; i++) s += c[i] * c[i + t]; return s / n; });
        double Rho(int t) => 1 - (w - Acov(t)) / varPlus;

        var rho = new double[n];
        rho[0] = 1;
        double even = 1, odd = Rho(1);
        rho[1] = odd;
        int lag = 1;
        while (lag < n - 3 && even + odd > 0)
        {
            even = Rho(lag + 1);
            odd = Rho(lag + 2);
            if (even + odd >= 0) { rho[lag + 1] = even; rho[lag + 2] = odd; }
            lag += 2;
        }
        int maxLag = lag - 2; // the last pair that was kept ends at maxLag
        if (even > 0) rho[maxLag + 1] = even; // half of the next pair: reduces variance for antithetic chains
        for (int t = 1; t <= maxLag - 2; t += 2) // initial monotone sequence: pair sums never increase
            if (rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t])
                rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2;
        double total = (double)m * n;
        double sum = 0;
        for (int t = 0; t <= maxLag; t++) sum += rho[t];
        double tau = -1 + 2 * sum + rho[maxLag + 1];
        tau = Math.Max(tau, 1 / Math.Log10(total)); // caps ESS at S log10(S), as Stan does
        return total / tau;
    }

    static double Median(double[] values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        int h = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
    }
}
