using BayesDL.Inference;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// The usual scores of a classifier's T-sample predictive on labelled inputs, from the predictive mean
/// p̄ = (1/T) sum_t p_t: accuracy, NLL = -(1/N) sum_i log p̄_{i,y_i} (nats), multi-class Brier score
/// (<see cref="ClassificationMetrics"/>), expected calibration error over equal-width bins (<see cref="ReliabilityDiagram"/>,
/// Guo et al. 2017), and the mean over inputs of the predictive entropy H[p̄] and of the mutual information
/// I = H[p̄] - (1/T) sum_t H[p_t] (<see cref="PredictiveSamples"/>; Houlsby et al. 2011), all in nats.
/// Regression predictives are scored by <see cref="RegressionScores"/>.
/// </summary>
/// <param name="Accuracy">Fraction of inputs whose most probable class under p̄ is the label.</param>
/// <param name="NegativeLogLikelihood">Mean -log p̄ of the label (nats).</param>
/// <param name="BrierScore">Mean squared distance between p̄ and the one-hot label, in [0, 2].</param>
/// <param name="ExpectedCalibrationError">ECE of the top-class confidence over <paramref name="Bins"/> bins.</param>
/// <param name="MeanPredictiveEntropy">Mean H[p̄] (total uncertainty, nats).</param>
/// <param name="MeanMutualInformation">Mean I (epistemic uncertainty, nats).</param>
/// <param name="Count">N, the number of inputs.</param>
/// <param name="Samples">T, the number of stochastic predictions.</param>
/// <param name="Bins">The number of calibration bins.</param>
public sealed record PredictiveScores(double Accuracy, double NegativeLogLikelihood, double BrierScore, double ExpectedCalibrationError,
    double MeanPredictiveEntropy, double MeanMutualInformation, long Count, long Samples, int Bins)
{
    /// <summary>Scores a classification predictive [T, N, C] against labels [N] (int64) with <paramref name="bins"/>
    /// calibration bins.</summary>
    public static PredictiveScores Compute(PredictiveSamples predictive, Tensor targets, int bins = 15)
    {
        Check.Argument(predictive.Kind == PredictiveKind.Classification, nameof(PredictiveScores), nameof(predictive),
            $"a {predictive.Kind} predictive", "a classification predictive (class probabilities [T, N, C])",
            "Score a regression predictive with RegressionScores.Compute (RMSE and the mixture test log-likelihood).");
        using var scope = NewDisposeScope();
        Tensor probabilities = predictive.Mean();
        return new PredictiveScores(
            ClassificationMetrics.Accuracy(probabilities, targets),
            ClassificationMetrics.NegativeLogLikelihood(probabilities, targets),
            ClassificationMetrics.BrierScore(probabilities, targets),
            ReliabilityDiagram.Compute(probabilities, targets, bins).ExpectedCalibrationError,
            predictive.PredictiveEntropy().to(ScalarType.Float64).mean().item<double>(),
            predictive.MutualInformation().to(ScalarType.Float64).mean().item<double>(),
            predictive.Count, predictive.SampleCount, bins);
    }
}
