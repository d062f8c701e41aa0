namespace BayesDL.Metrics;

/// <summary>
/// One method's results on a dataset-shift evaluation (Ovadia et al., NeurIPS 2019): for each shift level
/// (here rotation angle in degrees) accuracy, NLL (nats), Brier score, ECE (15 bins) and mean predictive
/// entropy (nats) of the predictive mean, plus the AUROC of telling out-of-distribution inputs from the
/// clean test set by predictive entropy.
/// </summary>
/// <param name="Method">Display name of the method.</param>
/// <param name="Angles">Shift levels, degrees.</param>
/// <param name="Accuracy">Accuracy per angle.</param>
/// <param name="Nll">Mean negative log-likelihood per angle.</param>
/// <param name="Brier">Brier score per angle.</param>
/// <param name="Ece">Expected calibration error per angle.</param>
/// <param name="Entropy">Mean predictive entropy per angle.</param>
/// <param name="OodAuroc">AUROC (clean test vs out-of-distribution inputs) by predictive entropy.</param>
public sealed record ShiftCurve(string Method, double[] Angles, double[] Accuracy, double[] Nll, double[] Brier, double[] Ece,
    double[] Entropy, double OodAuroc)
{
    /// <summary>The value of <paramref name="metric"/> ("accuracy", "nll", "brier", "ece", "entropy") at each angle.</summary>
    public double[] Metric(string metric) => metric switch
    {
        "accuracy" => Accuracy,
        "nll" => Nll,
        "brier" => Brier,
        "ece" => Ece,
        "entropy" => Entropy,
        _ => throw Validation.Check.Error(nameof(ShiftCurve), nameof(metric), $"\"{metric}\"", "one of accuracy, nll, brier, ece, entropy"),
    };

    /// <summary>The metric names, in table order.</summary>
    public static IReadOnlyList<string> MetricNames { get; } = new[] { "accuracy", "nll", "brier", "ece", "entropy" };
}
