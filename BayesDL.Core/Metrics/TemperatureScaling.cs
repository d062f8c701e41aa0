using System.Globalization;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// Temperature scaling (Guo, Pleiss, Sun &amp; Weinberger 2017, "On Calibration of Modern Neural Networks"): one scalar T &gt; 0 fitted on
/// a held-out split by minimising the negative log-likelihood of softmax(z / T), then applied to new logits; the predicted class never
/// changes, only the confidence. For a Monte Carlo predictive (T_s draws of logits z_s, or of probabilities p_s, whose logs serve as
/// logits) each draw is scaled and the NLL is the mixture's, −log (1/S) Σ_s softmax(z_s / T)_y. T is found by golden-section search on
/// log T over [log 0.01, log 100] to a width of 1e-6 (the NLL is smooth and, for one draw, convex in 1/T).
/// </summary>
public sealed record TemperatureScaling
{
    const double Low = -4.605170185988091, High = 4.605170185988091; // log 0.01, log 100

    TemperatureScaling(double temperature) => Temperature = temperature;

    /// <summary>The fitted temperature T (T &gt; 1 softens over-confident predictions).</summary>
    public double Temperature { get; }

    /// <summary>T fitted to logits [N, C] or [S, N, C] (S draws) and int64 labels [N] of a held-out split.</summary>
    public static TemperatureScaling Fit(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Tensor z = Draws(logits, nameof(logits)).to(ScalarType.Float64);
        Check.Argument(labels.dim() == 1 && labels.shape[0] == z.shape[1] && !labels.is_floating_point(), nameof(TemperatureScaling),
            nameof(labels),
            $"shape {Check.Shape(labels.shape)} {labels.dtype}", $"int64 class indices [{z.shape[1]}], one per row of the logits");
        Tensor y = labels.to(ScalarType.Int64, z.device);
        double a = Low, b = High, ratio = (Math.Sqrt(5) - 1) / 2;
        double c = b - ratio * (b - a), d = a + ratio * (b - a);
        double fc = Nll(z, y, c), fd = Nll(z, y, d);
        while (b - a > 1e-6)
        {
            if (fc < fd) { b = d; d = c; fd = fc; c = b - ratio * (b - a); fc = Nll(z, y, c); }
            else { a = c; c = d; fc = fd; d = a + ratio * (b - a); fd = Nll(z, y, d); }
        }
        return new TemperatureScaling(Math.Exp((a + b) / 2));
    }

    /// <summary>T fitted to a classification predictive's probabilities (their logs as logits) on a held-out split.</summary>
    public static TemperatureScaling Fit(PredictiveSamples predictive, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return Fit(LogProbabilities(predictive), labels);
    }

    /// <summary>The predictive of logits [N, C] or [S, N, C] scaled by 1 / T: softmax(z_s / T) per draw, [S, N, C].</summary>
    public PredictiveSamples Apply(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var result = PredictiveSamples.FromLogits(Draws(logits, nameof(logits)) / Temperature);
        result.Samples.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>A classification predictive with each draw's probabilities tempered, softmax(log p_s / T).</summary>
    public PredictiveSamples Apply(PredictiveSamples predictive)
    {
        using var scope = NewDisposeScope();
        var result = Apply(LogProbabilities(predictive));
        result.Samples.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>−(1/N) Σ_i log (1/S) Σ_s softmax(z_s,i / T)_{y_i}, the held-out NLL at temperature T = exp(logT).</summary>
    static double Nll(Tensor z, Tensor y, double logT)
    {
        using var scope = NewDisposeScope();
        Tensor logp = (z / Math.Exp(logT)).log_softmax(-1).gather(2, y.view(1, -1, 1).expand(z.shape[0], -1, 1)).squeeze(2); // [S, N]
        return -(logp.logsumexp(0) - Math.Log(z.shape[0])).mean().item<double>();
    }

    static Tensor Draws(Tensor logits, string parameter)
    {
        Check.Argument(logits.dim() is 2 or 3, nameof(TemperatureScaling), parameter, $"shape {Check.Shape(logits.shape)}",
            "logits [N, C] or [S, N, C]");
        Check.Finite(logits, nameof(TemperatureScaling), parameter);
        return logits.dim() == 2 ? logits.unsqueeze(0) : logits;
    }

    static Tensor LogProbabilities(PredictiveSamples predictive)
    {
        Check.Argument(predictive.Kind == PredictiveKind.Classification, nameof(TemperatureScaling), nameof(predictive),
            predictive.Kind.ToString(), "a classification predictive", "Temperature scaling calibrates class probabilities.");
        return predictive.Samples.to(ScalarType.Float64).clamp_min(1e-300).log();
    }

    /// <inheritdoc />
    public override string ToString() => $"TemperatureScaling(T = {Temperature.ToString("G6", CultureInfo.InvariantCulture)})";
}
