using BayesDL.Data;
using BayesDL.Inference;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// Rotated-image dataset shift (Ovadia et al. 2019, "Can you trust your model's uncertainty?"): the test
/// images rotated by each angle with <see cref="ImageRotation"/> (bilinear, engine-side), every method's
/// predictive mean scored by accuracy, NLL, Brier and ECE, its predictive entropy averaged, and
/// out-of-distribution inputs (e.g. uniform-noise images) told apart from the clean test images by
/// predictive entropy (AUROC). Works with any <see cref="IStochasticPredictor"/>, so MC dropout, Bayesian
/// layers, ensembles and a plain network (one "sample") are evaluated by the same code.
/// </summary>
public static class DatasetShift
{
    /// <summary>0, 15, ..., 180 degrees.</summary>
    public static double[] DefaultAngles() => Enumerable.Range(0, 13).Select(i => 15.0 * i).ToArray();

    /// <summary>
    /// Evaluates <paramref name="predictor"/> with <paramref name="samples"/> stochastic predictions on
    /// <paramref name="test"/> (flat 28x28 images [N, 784] unless sizes are given) rotated by each angle, and on
    /// <paramref name="outOfDistribution"/> inputs for the AUROC. <paramref name="progress"/> gets one line per angle.
    /// </summary>
    public static ShiftCurve Evaluate(string method, IStochasticPredictor predictor, int samples,
        LabeledData test, Tensor outOfDistribution,
        double[]? angles = null, int bins = 15, long height = 28, long width = 28, Action<string>? progress = null)
    {
        angles ??= DefaultAngles();
        Check.Argument(angles.Length > 0, nameof(DatasetShift), nameof(angles), "an empty list", "at least one angle");
        Check.Positive(samples, nameof(DatasetShift), nameof(samples));
        int k = angles.Length;
        double[] acc = new double[k], nll = new double[k], brier = new double[k], ece = new double[k], entropy = new double[k];
        Tensor? cleanEntropy = null;
        for (int i = 0; i < k; i++)
        {
            using var scope = NewDisposeScope();
            // Angle 0 uses the test images themselves (their predictive entropies also serve the OOD AUROC).
            Tensor rotated = angles[i] == 0 ? test.Inputs : ImageRotation.Rotate(test.Inputs, angles[i], height, width);
            using var predictive = predictor.Predict(rotated, samples);
            var scores = PredictiveScores.Compute(predictive, test.Targets, bins);
            (acc[i], nll[i], brier[i], ece[i], entropy[i]) = (scores.Accuracy, scores.NegativeLogLikelihood, scores.BrierScore,
                scores.ExpectedCalibrationError, scores.MeanPredictiveEntropy);
            if (angles[i] == 0 && cleanEntropy is null) cleanEntropy = predictive.PredictiveEntropy().MoveToOuterDisposeScope();
            progress?.Invoke($"{method}: {angles[i],5:F0} deg  acc {acc[i]:F4}  nll {nll[i]:F4}  ece {ece[i]:F4}  entropy {entropy[i]:F4}");
        }
        double auroc;
        using (var ood = predictor.Predict(outOfDistribution, samples))
        using (cleanEntropy ??= CleanEntropy(predictor, samples, test.Inputs))
        using (var oodEntropy = ood.PredictiveEntropy())
            auroc = Auroc.Compute(cleanEntropy, oodEntropy);
        return new ShiftCurve(method, (double[])angles.Clone(), acc, nll, brier, ece, entropy, auroc);
    }

    static Tensor CleanEntropy(IStochasticPredictor predictor, int samples, Tensor inputs)
    {
        using var predictive = predictor.Predict(inputs, samples);
        return predictive.PredictiveEntropy();
    }

    /// <summary>
    /// AUROC of predictive entropy for telling the <paramref name="outOfDistribution"/> predictions (positives)
    /// from the <paramref name="inDistribution"/> ones: 1 when every OOD input is more uncertain than every test input.
    /// </summary>
    public static double OodAuroc(PredictiveSamples inDistribution, PredictiveSamples outOfDistribution)
    {
        using var scope = NewDisposeScope();
        return Auroc.Compute(inDistribution.PredictiveEntropy(), outOfDistribution.PredictiveEntropy());
    }
}
