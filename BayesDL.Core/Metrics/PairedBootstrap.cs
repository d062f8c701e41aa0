using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// Whether one classifier's accuracy, NLL, Brier score or ECE differs from another's by more than the test set's sampling
/// noise: the paired bootstrap (Efron &amp; Tibshirani 1993, ch. 16). Both predictives are scored on the same N inputs; each
/// resample draws N inputs with replacement and recomputes every metric for both on the same draw, so what the inputs have
/// in common (how hard they are) cancels in the difference. The ECE is recomputed from its bins on each resample (it is not
/// a mean of per-input terms, and it is biased upwards on small test sets, for both classifiers alike). Metrics as in
/// <see cref="ClassificationMetrics"/> and <see cref="ReliabilityDiagram"/>.
/// </summary>
public static class PairedBootstrap
{
    /// <summary>
    /// Compares class probabilities <paramref name="probabilitiesA"/> and <paramref name="probabilitiesB"/> [N, C] on labels
    /// <paramref name="targets"/> [N] (int64) over <paramref name="resamples"/> bootstrap resamples drawn with
    /// <paramref name="seed"/>; ECE with <paramref name="bins"/> bins. Returns accuracy, NLL, Brier and ECE, in that order.
    /// </summary>
    public static IReadOnlyList<MetricDifference> Compare(Tensor probabilitiesA, Tensor probabilitiesB, Tensor targets,
        int resamples = 1000, int bins = 15, int seed = 0)
    {
        const string who = nameof(PairedBootstrap);
        ClassificationMetrics.Validate(probabilitiesA, targets, who);
        Check.Argument(probabilitiesA.shape.SequenceEqual(probabilitiesB.shape), who, nameof(probabilitiesB),
            "shape " + Check.Shape(probabilitiesB.shape), $"the shape of probabilitiesA, {Check.Shape(probabilitiesA.shape)}",
            "Score both predictives on the same inputs.");
        ClassificationMetrics.Validate(probabilitiesB, targets, who);
        Check.Argument(resamples >= 2, who, nameof(resamples), resamples.ToString(), ">= 2", "Use about 1,000 resamples.");
        Check.Positive(bins, who, nameof(bins));
        var a = PerInput.Of(probabilitiesA, targets);
        var b = PerInput.Of(probabilitiesB, targets);
        int n = a.Correct.Length;

        double[] Metrics(int[]? rows) =>
        [
            Mean(a.Correct, rows) - Mean(b.Correct, rows),
            Mean(a.Nll, rows) - Mean(b.Nll, rows),
            Mean(a.Brier, rows) - Mean(b.Brier, rows),
            ReliabilityDiagram.Bin(a.Confidence, a.TopCorrect, bins, rows).Ece
                - ReliabilityDiagram.Bin(b.Confidence, b.TopCorrect, bins, rows).Ece,
        ];
        double[] full = Metrics(null);
        var draws = new double[resamples][];
        var rng = new Random(seed);
        var rows = new int[n];
        for (int r = 0; r < resamples; r++)
        {
            for (int k = 0; k < n; k++) rows[k] = rng.Next(n);
            draws[r] = Metrics(rows);
        }
        double[] valuesA = [Mean(a.Correct, null), Mean(a.Nll, null), Mean(a.Brier, null),
            ReliabilityDiagram.Bin(a.Confidence, a.TopCorrect, bins, null).Ece];
        string[] names = ["accuracy", "nll", "brier", "ece"];
        return names.Select((name, m) =>
        {
            double mean = draws.Average(d => d[m]);
            double sd = Math.Sqrt(draws.Sum(d => (d[m] - mean) * (d[m] - mean)) / (resamples - 1));
            return new MetricDifference(name, valuesA[m], valuesA[m] - full[m], full[m], sd,
                draws.Count(d => d[m] < 0) / (double)resamples);
        }).ToList();
    }

    static double Mean(double[] values, int[]? rows)
    {
        double sum = 0;
        if (rows is null) foreach (double v in values) sum += v;
        else foreach (int i in rows) sum += values[i];
        return sum / (rows?.Length ?? values.Length);
    }

    /// <summary>Per-input terms of the metrics on the host, from <see cref="ClassificationMetrics"/>' own terms.</summary>
    sealed record PerInput(double[] Correct, double[] Nll, double[] Brier, double[] Confidence, double[] TopCorrect)
    {
        internal static PerInput Of(Tensor probabilities, Tensor targets)
        {
            using var scope = NewDisposeScope();
            static double[] Host(Tensor t) => t.cpu().data<double>().ToArray();
            var (confidence, topCorrect) = ReliabilityDiagram.TopClass(probabilities, targets);
            return new PerInput(Host(ClassificationMetrics.Correct(probabilities, targets)),
                Host(ClassificationMetrics.NegativeLogProbabilities(probabilities, targets)),
                Host(ClassificationMetrics.SquaredDistances(probabilities, targets)), confidence, topCorrect);
        }
    }
}
