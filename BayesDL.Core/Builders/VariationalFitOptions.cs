using BayesDL.Training;

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
/// <param name="KlWarmupEpochs">Epochs over which beta_t rises linearly from 0 to 1 (0: beta = 1 throughout).</param>
/// <param name="AnalyticKL">
/// True: every (posterior, prior) pair must have a closed-form KL in the registry, checked before training.
/// False: a Monte Carlo KL is accepted where no closed form exists (the layers' KL sample count applies).
/// </param>
/// <param name="Checkpoint">Checkpoint the fit atomically and resume a killed fit exactly (<see cref="CheckpointOptions"/>); null: none.</param>
public sealed record VariationalFitOptions(int Epochs = 10, int BatchSize = 128, double LearningRate = 1e-3, long Seed = 0,
                                           int WeightSamples = 1, int KlWarmupEpochs = 0, bool AnalyticKL = true,
                                           CheckpointOptions? Checkpoint = null)
{
    /// <summary>Out-of-range settings, each as an InvalidParameter error.</summary>
    public IReadOnlyList<BuildError> Invalid()
    {
        var errors = new List<BuildError>();
        void Need(bool ok, string name, object value, string expected)
        {
            if (!ok) errors.Add(new(BuildErrorKind.InvalidParameter, -1, "fit", $"{nameof(VariationalFitOptions)}: '{name}' must be {expected}; found {value}."));
        }
        Need(Epochs >= 1, nameof(Epochs), Epochs, ">= 1");
        Need(BatchSize >= 1, nameof(BatchSize), BatchSize, ">= 1");
        Need(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "> 0 and finite");
        Need(WeightSamples >= 1, nameof(WeightSamples), WeightSamples, ">= 1");
        Need(KlWarmupEpochs >= 0, nameof(KlWarmupEpochs), KlWarmupEpochs, ">= 0");
        if (Checkpoint is not null)
        {
            Need(!string.IsNullOrWhiteSpace(Checkpoint.Path), "Checkpoint.Path", $"\"{Checkpoint.Path}\"", "a file path");
            Need(Checkpoint.EveryEpochs >= 1, "Checkpoint.EveryEpochs", Checkpoint.EveryEpochs, ">= 1");
        }
        return errors;
    }
}
