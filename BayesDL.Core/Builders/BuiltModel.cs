using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Training;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// A built, validated model: the <see cref="BayesianNetwork"/> (layers and likelihood), its per-example input and
/// output shapes, the variational family it was declared with, and the compute policy it lives under.
/// </summary>
public sealed record BuiltModel(BayesianNetwork Network, long[] InputShape, long[] OutputShape, VariationalFamily Family,
                                ComputePolicy Policy) : IDisposable
{
    /// <summary>One stochastic forward pass f(x) for a batch x of shape [batch, ..InputShape] (raw outputs: logits, means).</summary>
    public Tensor Forward(Tensor x) => Network.forward(x);

    /// <summary>
    /// The predictive distribution from <paramref name="samples"/> stochastic passes (weight draws, or dropout masks for the
    /// dropout family), with the uncertainty measures of <see cref="PredictiveSamples"/>; evaluation mode, no gradient.
    /// </summary>
    public PredictiveSamples Predict(Tensor x, int samples)
    {
        Network.eval();
        using var _ = no_grad();
        return Network.Predict(x, samples);
    }

    /// <summary>
    /// Maximises the ELBO on <paramref name="data"/> (on the model's device and dtype, see <see cref="Policy"/>) with <see cref="Trainer"/> and <see cref="ElboObjective"/>
    /// (KL scaled by the training-set size; a linear KL warm-up over <see cref="VariationalFitOptions.KlWarmupEpochs"/>).
    /// For the dropout family the network has no weight posterior, the KL is zero and this is dropout training.
    /// </summary>
    public IReadOnlyList<EpochReport> Fit(LabeledData data, VariationalFitOptions? options = null)
    {
        options ??= new VariationalFitOptions();
        var errors = options.Invalid();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors.Select(e => e.Message)));
        long rows = data.Inputs.shape[0];
        long warmupSteps = options.KlWarmupEpochs * ((rows + options.BatchSize - 1) / options.BatchSize);
        var elbo = new ElboOptions(warmupSteps > 0 ? KlSchedule.LinearWarmup(warmupSteps) : null, options.WeightSamples);
        var trainer = new Trainer(new TrainerOptions(options.Epochs, options.BatchSize, LearningRate: options.LearningRate, Seed: options.Seed));
        Network.train();
        var reports = trainer.Fit(Network, data, elbo);
        Network.eval();
        return reports;
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();
}
