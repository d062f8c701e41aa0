using static TorchSharp.torch;

namespace BayesDL.Predictive;

/// <summary>
/// Anything that turns inputs into T stochastic predictions: Bayesian-layer networks (one weight draw
/// per prediction), MC dropout (one dropout mask per prediction), deep ensembles (one member per
/// prediction). Evaluation code (uncertainty, calibration, OOD detection) is written once against this.
/// </summary>
public interface IStochasticPredictor
{
    /// <summary>
    /// T = <paramref name="samples"/> predictions for a batch of inputs [N, ...]: classification
    /// probabilities [T, N, C], or regression means [T, N, D] with optional aleatoric variances.
    /// Runs without gradient; the caller owns (and disposes) the result.
    /// </summary>
    PredictiveSamples Predict(Tensor inputs, int samples);
}
