using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// Calibration of the top-class confidence, binned into B equal-width bins over [0, 1] (bin b holds
/// confidences in (b/B, (b+1)/B], the first bin also 0). Per bin: mean confidence, accuracy and count.
/// Expected calibration error ECE = sum_b (n_b / N) |acc_b - conf_b| (Naeini et al. 2015; Guo et al. 2017
/// use B = 15, the default). Empty bins have confidence and accuracy NaN and do not contribute.
/// </summary>
/// <param name="Confidence">Mean top-class probability per bin.</param>
/// <param name="Accuracy">Fraction correct per bin.</param>
/// <param name="Count">Inputs per bin.</param>
/// <param name="ExpectedCalibrationError">The count-weighted mean gap |accuracy - confidence|.</param>
public sealed record ReliabilityDiagram(double[] Confidence, double[] Accuracy, long[] Count, double ExpectedCalibrationError)
{
    /// <summary>The number of bins.</summary>
    public int Bins => Count.Length;

    /// <summary>Bins the top-class confidence of probabilities [N, C] against labels [N] (int64).</summary>
    public static ReliabilityDiagram Compute(Tensor probabilities, Tensor targets, int bins = 15)
    {
        ClassificationMetrics.Validate(probabilities, targets, "ExpectedCalibrationError");
        Validation.Check.Positive(bins, nameof(ReliabilityDiagram), nameof(bins));
        var (confidence, correct) = TopClass(probabilities, targets);
        var (conf, acc, count, ece) = Bin(confidence, correct, bins, null);
        return new ReliabilityDiagram(conf, acc, count, ece);
    }

    /// <summary>Each row's top-class probability and whether that class is the label (1 or 0), on the host.</summary>
    internal static (double[] Confidence, double[] Correct) TopClass(Tensor probabilities, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var (top, predicted) = probabilities.to(ScalarType.Float64).max(1);
        return (top.cpu().data<double>().ToArray(), predicted.eq(targets).to(ScalarType.Float64).cpu().data<double>().ToArray());
    }

    /// <summary>The binning over the rows <paramref name="rows"/> (all rows when null; a row may repeat, as in a bootstrap
    /// resample): per-bin confidence, accuracy, count and the ECE.</summary>
    internal static (double[] Confidence, double[] Accuracy, long[] Count, double Ece) Bin(double[] confidence, double[] correct,
        int bins, int[]? rows)
    {
        var sumConf = new double[bins];
        var sumAcc = new double[bins];
        var count = new long[bins];
        int n = rows?.Length ?? confidence.Length;
        for (int k = 0; k < n; k++)
        {
            int i = rows is null ? k : rows[k];
            int b = Math.Clamp((int)Math.Ceiling(confidence[i] * bins) - 1, 0, bins - 1);
            sumConf[b] += confidence[i]; sumAcc[b] += correct[i]; count[b]++;
        }
        var conf = new double[bins];
        var acc = new double[bins];
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            conf[b] = count[b] == 0 ? double.NaN : sumConf[b] / count[b];
            acc[b] = count[b] == 0 ? double.NaN : sumAcc[b] / count[b];
            if (count[b] > 0) ece += (double)count[b] / n * Math.Abs(acc[b] - conf[b]);
        }
        return (conf, acc, count, ece);
    }
}
