using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// Proper scoring and accuracy of predicted class probabilities p [N, C] against labels y [N] (int64):
/// accuracy = (1/N) sum_i [argmax_c p_ic = y_i]; NLL = -(1/N) sum_i log p_{i,y_i} (nats);
/// Brier = (1/N) sum_i sum_c (p_ic - [c = y_i])^2 (Brier 1950, multi-class form, in [0, 2]).
/// Probabilities are clamped at 1e-12 inside the log so a confident miss gives a large finite NLL.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>Fraction of inputs whose most probable class is the label.</summary>
    public static double Accuracy(Tensor probabilities, Tensor targets)
    {
        Validate(probabilities, targets, nameof(Accuracy));
        using var scope = NewDisposeScope();
        return Correct(probabilities, targets).mean().item<double>();
    }

    /// <summary>Mean negative log probability of the label, in nats.</summary>
    public static double NegativeLogLikelihood(Tensor probabilities, Tensor targets)
    {
        Validate(probabilities, targets, nameof(NegativeLogLikelihood));
        using var scope = NewDisposeScope();
        return NegativeLogProbabilities(probabilities, targets).mean().item<double>();
    }

    /// <summary>Mean squared distance between the probability vector and the one-hot label.</summary>
    public static double BrierScore(Tensor probabilities, Tensor targets)
    {
        Validate(probabilities, targets, nameof(BrierScore));
        using var scope = NewDisposeScope();
        return SquaredDistances(probabilities, targets).mean().item<double>();
    }

    /// <summary>Per input, 1 when the most probable class is the label, else 0 (float64 [N]): accuracy's terms.</summary>
    internal static Tensor Correct(Tensor probabilities, Tensor targets) =>
        probabilities.argmax(-1).eq(targets).to(ScalarType.Float64);

    /// <summary>Per input, -log p_{i,y_i} with p clamped at 1e-12 (float64 [N]): the NLL's terms.</summary>
    internal static Tensor NegativeLogProbabilities(Tensor probabilities, Tensor targets) =>
        -probabilities.to(ScalarType.Float64).gather(1, targets.unsqueeze(1)).squeeze(1).clamp_min(1e-12).log();

    /// <summary>Per input, sum_c (p_ic - [c = y_i])^2 (float64 [N]): the Brier score's terms.</summary>
    internal static Tensor SquaredDistances(Tensor probabilities, Tensor targets)
    {
        Tensor p = probabilities.to(ScalarType.Float64);
        return (p - nn.functional.one_hot(targets, p.shape[1]).to(ScalarType.Float64)).square().sum(1);
    }

    /// <summary>Checks p is [N, C] on the simplex range and y is [N] int64 with labels in [0, C).</summary>
    internal static void Validate(Tensor probabilities, Tensor targets, string metric)
    {
        string component = $"{nameof(ClassificationMetrics)}.{metric}";
        Check.Argument(probabilities.dim() == 2, component, "probabilities", "shape " + Check.Shape(probabilities.shape),
            "a tensor of shape [N, C]", "For T samples [T, N, C], pass their mean over T (PredictiveSamples.Mean()).");
        Check.Argument(targets.dim() == 1 && targets.shape[0] == probabilities.shape[0], component, "targets",
            "shape " + Check.Shape(targets.shape), $"shape [{probabilities.shape[0]}] (one label per row of probabilities)");
        Check.Argument(targets.dtype == ScalarType.Int64, component, "targets", $"dtype {targets.dtype}", "int64 class indices");
        Check.Argument(probabilities.shape[0] > 0, component, "probabilities", "0 rows", "at least one row");
        Check.InRange(probabilities, 0.0, 1.0, component, "probabilities");
        using var scope = NewDisposeScope();
        long lo = targets.min().item<long>(), hi = targets.max().item<long>();
        Check.Argument(lo >= 0 && hi < probabilities.shape[1], component, "targets", $"label {(lo < 0 ? lo : hi)}",
            $"in [0, {probabilities.shape[1] - 1}] (C = {probabilities.shape[1]} classes)");
    }
}
