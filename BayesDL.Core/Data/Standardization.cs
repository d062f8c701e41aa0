using BayesDL.Validation;

namespace BayesDL.Data;

/// <summary>
/// The regression protocol's standardisation (Hernández-Lobato &amp; Adams 2015): every input column and the target are
/// shifted and scaled by the mean and standard deviation of the <em>training</em> rows only,
/// x' = (x - mean_train) / sd_train, with sd = sqrt((1/n) sum (x - mean)^2) (population form, numpy's default, as in the
/// papers' code). A column that is constant on the training rows (sd = 0) keeps scale 1, as in that code: it becomes
/// x - mean (0 on every training row, finite on test rows) instead of 0/0 = NaN. Model outputs map back to the original
/// scale by y = mean_y + sd_y y' (and variances by sd_y^2).
/// </summary>
public sealed class Standardization
{
    Standardization(double[] inputMean, double[] inputScale, double targetMean, double targetScale)
    {
        InputMean = inputMean; InputScale = inputScale; TargetMean = targetMean; TargetScale = targetScale;
    }

    /// <summary>Training mean of each input column.</summary>
    public IReadOnlyList<double> InputMean { get; }

    /// <summary>Training standard deviation of each input column (1 where the column is constant on the training rows).</summary>
    public IReadOnlyList<double> InputScale { get; }

    /// <summary>Training mean of the target.</summary>
    public double TargetMean { get; }

    /// <summary>Training standard deviation of the target (1 when the target is constant on the training rows).</summary>
    public double TargetScale { get; }

    /// <summary>
    /// The standardisation of inputs <paramref name="inputs"/> (rows of equal width) and <paramref name="targets"/> fitted
    /// on the rows <paramref name="trainRows"/> only: no other row's value enters a mean or a standard deviation.
    /// </summary>
    public static Standardization Fit(IReadOnlyList<double[]> inputs, IReadOnlyList<double> targets, IReadOnlyList<int> trainRows)
    {
        Check.Argument(trainRows.Count > 0, nameof(Standardization), nameof(trainRows), "no rows", "at least one training row");
        Check.Argument(inputs.Count == targets.Count, nameof(Standardization), nameof(targets), $"{targets.Count} values", $"one per input row ({inputs.Count})");
        int width = inputs[trainRows[0]].Length;
        var mean = new double[width];
        var scale = new double[width];
        var column = new double[trainRows.Count];
        for (int c = 0; c < width; c++)
        {
            for (int i = 0; i < column.Length; i++) column[i] = inputs[trainRows[i]][c];
            (mean[c], scale[c]) = MeanAndScale(column);
        }
        for (int i = 0; i < column.Length; i++) column[i] = targets[trainRows[i]];
        var (targetMean, targetScale) = MeanAndScale(column);
        return new Standardization(mean, scale, targetMean, targetScale);
    }

    /// <summary>Mean and population standard deviation by two passes (no cancellation of sum x^2 against n mean^2); 1 for a constant column.</summary>
    static (double Mean, double Scale) MeanAndScale(double[] values)
    {
        double mean = 0;
        foreach (double v in values) mean += v;
        mean /= values.Length;
        double squares = 0;
        foreach (double v in values) squares += (v - mean) * (v - mean);
        double sd = Math.Sqrt(squares / values.Length);
        return (mean, sd > 0 ? sd : 1.0);
    }

    /// <summary>Standardised input value of column <paramref name="column"/>.</summary>
    public double Input(int column, double value) => (value - InputMean[column]) / InputScale[column];

    /// <summary>Standardised target value.</summary>
    public double Target(double value) => (value - TargetMean) / TargetScale;

    /// <summary>A standardised target (or predictive mean) back on the original scale: mean_y + sd_y y'.</summary>
    public double TargetToOriginal(double value) => TargetMean + TargetScale * value;
}
