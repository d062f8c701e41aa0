using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// The prior half of MC dropout's variational objective (Gal &amp; Ghahramani, ICML 2016, appendix; Gal 2016, §3.2 and
/// §6.4). With a prior W_i ~ N(0, l⁻² I) on the weights of layer i and a Bernoulli q with keep probability
/// 1 − p_i on that layer's inputs, the KL term divided by N training examples is, up to constants,
/// λ_i (‖W_i‖² + ‖b_i‖²) with λ_i = l² (1 − p_i) / (2 N τ) (τ the model precision, 1 for classification).
/// Training with cross-entropy alone (no weight decay) is maximum likelihood in the dropout network, not VI: weights
/// the data never constrain (e.g. those of MNIST's always-black border pixels) keep their random initial values and
/// make predictions on unusual inputs arbitrary and confident. Add <see cref="Regularizer"/> to the mean loss.
/// </summary>
/// <param name="LengthScale">Prior length-scale l (prior precision l²); inputs scaled to [0, 1] suggest l of order 1.</param>
/// <param name="TrainingExamples">N, the number of training examples the mean loss averages over.</param>
/// <param name="Precision">Model precision τ (1 for classification; the Gaussian noise precision for regression).</param>
public sealed record MCDropoutPrior(double LengthScale, long TrainingExamples, double Precision = 1.0)
{
    /// <summary>λ = l² (1 − p) / (2 N τ) for a weight layer whose inputs are dropped with probability
    /// <paramref name="dropProbability"/>.</summary>
    public double Coefficient(double dropProbability)
    {
        Validate();
        Check.Argument(double.IsFinite(dropProbability) && dropProbability >= 0 && dropProbability < 1, nameof(MCDropoutPrior),
            nameof(dropProbability), dropProbability.ToString("R"), "in [0, 1)");
        return LengthScale * LengthScale * (1 - dropProbability) / (2.0 * TrainingExamples * Precision);
    }

    /// <summary>
    /// Σ_i λ_i (‖W_i‖² + ‖b_i‖²) over the Linear and convolution layers of <paramref name="model"/>, visited in
    /// registration order, where p_i is the rate of the (MC) dropout layer directly preceding layer i (0 when none).
    /// Layers inside a <see cref="ConcreteDropout"/> are skipped: concrete dropout has its own regularizer. A scalar
    /// tensor to add to the per-example (mean) loss; throws when the model has no weight layer.
    /// </summary>
    public Tensor Regularizer(nn.Module model)
    {
        Validate();
        var layers = WeightLayers(model);
        Check.Argument(layers.Count > 0, nameof(MCDropoutPrior), nameof(model), "a model without Linear or convolution layers",
            "a model with at least one weight layer");
        using var scope = NewDisposeScope();
        Tensor? total = null;
        foreach (var (layer, p) in layers)
        {
            Tensor squares = layer.parameters().Select(w => w.square().sum()).Aggregate((a, b) => a + b);
            Tensor term = squares * Coefficient(p);
            total = total is null ? term : total + term;
        }
        return total!.MoveToOuterDisposeScope();
    }

    /// <summary>The weight layers of a model with the drop probability of the dropout layer in front of each.</summary>
    public static IReadOnlyList<(nn.Module Layer, double DropProbability)> WeightLayers(nn.Module model)
    {
        var found = new List<(nn.Module, double)>();
        var skipped = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        double pending = 0;
        foreach (var (_, m) in model.named_modules().Prepend(("", model)))
        {
            if (skipped.Contains(m) || !skipped.Add(m)) continue; // inside a ConcreteDropout, or seen (self may be listed twice)
            switch (m)
            {
                case ConcreteDropout c:
                    foreach (var (_, inner) in c.named_modules()) skipped.Add(inner);
                    pending = 0;
                    break;
                case MonteCarloDropoutLayer d: pending = d.P; break;
                case Dropout d: pending = d.p; break;
                case Dropout2d d: pending = d.p; break;
                case Linear or Conv1d or Conv2d or Conv3d:
                    found.Add((m, pending));
                    pending = 0;
                    break;
            }
        }
        return found;
    }

    void Validate()
    {
        Check.Positive(LengthScale, nameof(MCDropoutPrior), nameof(LengthScale));
        Check.Positive(TrainingExamples, nameof(MCDropoutPrior), nameof(TrainingExamples));
        Check.Positive(Precision, nameof(MCDropoutPrior), nameof(Precision));
    }
}
