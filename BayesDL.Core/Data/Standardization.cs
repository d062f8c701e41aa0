using BayesDL.Validation;
using static TorchSharp.torch;

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
        Check.Argument(inputs.Count == targets.Count, nameof(Standardization), nameof(targets), $"{targets.Count} values",
            $"one per input row ({inputs.Count})");
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

    /// <summary>
    /// The standardisation of known statistics (for example read back from a model file): the input columns' means and
    /// standard deviations (equal lengths, finite, scales &gt; 0) and the target's.
    /// </summary>
    public static Standardization Of(IReadOnlyList<double> inputMean, IReadOnlyList<double> inputScale, double targetMean,
        double targetScale)
    {
        const string Component = nameof(Standardization);
        Check.Argument(inputScale.Count == inputMean.Count, Component, nameof(inputScale), $"{inputScale.Count} values",
            $"one per input mean ({inputMean.Count})");
        for (int c = 0; c < inputMean.Count; c++)
        {
            Check.Argument(double.IsFinite(inputMean[c]), Component, nameof(inputMean), $"{inputMean[c]} in column {c}", "a finite mean");
            Check.Argument(inputScale[c] > 0 && double.IsFinite(inputScale[c]), Component, nameof(inputScale),
                $"{inputScale[c]} in column {c}", "a finite standard deviation > 0 (1 for a constant column)");
        }
        Check.Argument(double.IsFinite(targetMean), Component, nameof(targetMean), $"{targetMean}", "a finite mean");
        Check.Argument(targetScale > 0 && double.IsFinite(targetScale), Component, nameof(targetScale), $"{targetScale}",
            "a finite standard deviation > 0 (1 for a constant target)");
        return new Standardization(inputMean.ToArray(), inputScale.ToArray(), targetMean, targetScale);
    }

    /// <summary>Mean and population standard deviation by two passes (no cancellation of sum x^2 against n mean^2); 1 for a
    /// constant column.</summary>
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

    /// <summary>
    /// Standardised inputs [N, D] (D = the number of input columns): x'_nc = (x_nc - mean_c) / sd_c, in the dtype and on the
    /// device of <paramref name="inputs"/>.
    /// </summary>
    public Tensor Inputs(Tensor inputs)
    {
        Check.Argument(inputs.dim() == 2 && inputs.shape[1] == InputMean.Count, nameof(Standardization), nameof(inputs),
            $"shape {Check.Shape(inputs.shape)}", $"[N, {InputMean.Count}] (one column per standardised input)");
        using var scope = NewDisposeScope();
        Tensor mean = tensor(InputMean.ToArray(), dtype: inputs.dtype, device: inputs.device);
        Tensor scale = tensor(InputScale.ToArray(), dtype: inputs.dtype, device: inputs.device);
        return ((inputs - mean) / scale).MoveToOuterDisposeScope();
    }

    /// <summary>Standardised targets (any shape): y' = (y - mean_y) / sd_y.</summary>
    public Tensor Targets(Tensor targets) => (targets - TargetMean).div_(TargetScale);

    /// <summary>Standardised targets or predictive means (any shape) back on the original scale: y = mean_y + sd_y y'.</summary>
    public Tensor TargetsToOriginal(Tensor standardized) => (standardized * TargetScale).add_(TargetMean);

    /// <summary>Variances of standardised targets (any shape) on the original scale: s2 = sd_y^2 s2'.</summary>
    public Tensor VariancesToOriginal(Tensor standardized) => standardized * (TargetScale * TargetScale);
}
