using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// Area under the ROC curve for telling out-of-distribution inputs (positives) from in-distribution ones
/// (negatives) by a score that should be higher out of distribution (entropy, mutual information,
/// variance). Computed exactly as the Mann-Whitney statistic AUROC = P(s_out &gt; s_in) + P(s_out = s_in)/2
/// = (R_out - n_out (n_out + 1)/2) / (n_out n_in), with R_out the sum of the positives' mid-ranks, so
/// ties count one half (Hanley &amp; McNeil 1982). 1 = perfect separation, 0.5 = chance, 0 = reversed.
/// </summary>
public static class Auroc
{
    /// <summary>AUROC of scores for in-distribution [N_in] and out-of-distribution [N_out] inputs.</summary>
    public static double Compute(Tensor inDistributionScores, Tensor outOfDistributionScores) =>
        Compute(ToArray(inDistributionScores, "inDistributionScores"), ToArray(outOfDistributionScores, "outOfDistributionScores"));

    /// <summary>AUROC of scores for in-distribution and out-of-distribution inputs.</summary>
    public static double Compute(double[] inDistributionScores, double[] outOfDistributionScores)
    {
        Check.Argument(inDistributionScores.Length > 0, nameof(Auroc), nameof(inDistributionScores), "no scores", "at least one score");
        Check.Argument(outOfDistributionScores.Length > 0, nameof(Auroc), nameof(outOfDistributionScores),
            "no scores", "at least one score");
        CheckFinite(inDistributionScores, nameof(inDistributionScores));
        CheckFinite(outOfDistributionScores, nameof(outOfDistributionScores));
        int nIn = inDistributionScores.Length, nOut = outOfDistributionScores.Length, n = nIn + nOut;
        var all = new (double Score, bool Out)[n];
        for (int i = 0; i < nIn; i++) all[i] = (inDistributionScores[i], false);
        for (int i = 0; i < nOut; i++) all[nIn + i] = (outOfDistributionScores[i], true);
        Array.Sort(all, (a, b) => a.Score.CompareTo(b.Score));
        double rankSumOut = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && all[end + 1].Score == all[start].Score) end++;
            double midRank = (start + end) / 2.0 + 1.0; // ranks are 1-based; a tie group shares its mean rank
            for (int k = start; k <= end; k++) if (all[k].Out) rankSumOut += midRank;
            start = end + 1;
        }
        return (rankSumOut - nOut * (nOut + 1) / 2.0) / ((double)nOut * nIn);
    }

    static double[] ToArray(Tensor t, string parameter)
    {
        Check.Argument(t.dim() == 1, nameof(Auroc), parameter, "shape " + Check.Shape(t.shape), "a 1-D tensor of scores");
        using var c = t.detach().cpu().to(ScalarType.Float64);
        return c.data<double>().ToArray();
    }

    static void CheckFinite(double[] scores, string parameter)
    {
        int bad = Array.FindIndex(scores, s => !double.IsFinite(s));
        Check.Argument(bad < 0, nameof(Auroc), parameter, bad < 0 ? "" : $"{scores[bad]} at index [{bad}]", "finite scores");
    }
}
