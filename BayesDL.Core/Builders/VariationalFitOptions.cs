using BayesDL.Training;
using BayesDL.Validation;

namespace BayesDL.Builders;

/// <summary>
/// Settings of a variational fit (Bayes by Backprop, Blundell et al. 2015): maximise
/// ELBO = sum_i E_q[log p(y_i | x_i, w)] - beta_t KL(q(w) || p(w)) with Adam over shuffled minibatches.
/// </summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Rows per minibatch.</param>
/// <param name="LearningRate">Adam step size.</param>
/// <param name="Seed">Seeds weight noise and shuffling.</param>
/// <param name="WeightSamples">Weight draws S per step for the expected log-likelihood.</param>
/// <param name="KLWarmupEpochs">Epochs over which beta_t rises linearly from 0 to 1 (0: beta = 1 throughout).</param>
/// <param name="AnalyticKL">
/// True: every (posterior, prior) pair must have a closed-form KL in the registry, checked before training.
/// False: a Monte Carlo KL is accepted where no closed form exists (the layers' KL sample count applies).
/// </param>
/// <param name="Checkpoint">Checkpoint the fit atomically and resume a killed fit exactly
/// (<see cref="CheckpointOptions"/>); null: none.</param>
public sealed record VariationalFitOptions(int Epochs = 10, int BatchSize = 128, double LearningRate = 1e-3, long Seed = 0,
                                           int WeightSamples = 1, int KLWarmupEpochs = 0, bool AnalyticKL = true,
                                           CheckpointOptions? Checkpoint = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string component = nameof(VariationalFitOptions);
        Check.Positive(Epochs, component, nameof(Epochs), "Pass at least one epoch (a pass over the training set).");
        Check.Positive(BatchSize, component, nameof(BatchSize), "Pass the rows per minibatch, e.g. 128.");
        Check.Positive(LearningRate, component, nameof(LearningRate), "Adam's usual step size is 1e-3; lower it if the loss diverges.");
        Check.Positive(WeightSamples, component, nameof(WeightSamples),
            "Use 1 weight draw per step, or a few for a lower-variance gradient.");
        Check.Argument(KLWarmupEpochs >= 0, component, nameof(KLWarmupEpochs), KLWarmupEpochs.ToString(), ">= 0 (epochs of KL warm-up)",
            "Use 0 for the full KL from the start, or a few epochs of warm-up.");
        Checkpoint?.Validate(component);
    }
}
