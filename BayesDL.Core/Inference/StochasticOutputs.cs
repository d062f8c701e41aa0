using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Inference;

/// <summary>Turns stacked raw network outputs [T, N, K] into <see cref="PredictiveSamples"/> according to a <see cref="ModelOutput"/>.</summary>
public static class StochasticOutputs
{
    /// <summary>
    /// Logits → softmax probabilities; Mean → regression means; MeanAndLogVariance → means (first half of the
    /// last dimension) and variances exp(log σ²) (second half). Takes ownership of <paramref name="outputs"/>.
    /// </summary>
    public static PredictiveSamples ToPredictive(Tensor outputs, ModelOutput kind)
    {
        Check.Argument(outputs.dim() == 3, nameof(StochasticOutputs), nameof(outputs), "shape (" + string.Join(", ", outputs.shape) + ")",
            "[T, N, K] (samples first)");
        switch (kind)
        {
            case ModelOutput.Logits:
                using (outputs) return PredictiveSamples.FromLogits(outputs);
            case ModelOutput.Mean:
                return PredictiveSamples.Regression(outputs);
            default:
                long k = outputs.shape[2];
                Check.Argument(k % 2 == 0, nameof(StochasticOutputs), nameof(outputs), $"{k} output columns",
                    "an even number of columns [means | log-variances] for ModelOutput.MeanAndLogVariance");
                using (outputs)
                {
                    Check.Finite(outputs, nameof(StochasticOutputs), nameof(outputs));
                    Tensor means = outputs[.., .., ..(int)(k / 2)].contiguous();
                    Tensor variances = outputs[.., .., (int)(k / 2)..].exp();
                    return PredictiveSamples.Regression(means, variances);
                }
        }
    }
}
