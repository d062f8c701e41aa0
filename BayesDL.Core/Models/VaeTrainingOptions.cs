using BayesDL.Training;
using BayesDL.Validation;

namespace BayesDL.Models;

/// <summary>Settings of <see cref="VaeTraining.Fit"/>: Adam (Kingma &amp; Ba 2015) over shuffled mini-batches.</summary>
/// <param name="Epochs">Passes over the data.</param>
/// <param name="BatchSize">Rows per step (the last, smaller batch of an epoch is kept).</param>
/// <param name="LearningRate">Adam step size.</param>
/// <param name="Seed">Seeds the shuffling generator and the engine's generator (reparameterisation noise) when training starts.
/// The weights are drawn when the model is built, before training: call <c>NativeEngine.Seed</c> before building it too
/// (libtorch seeds its generator nondeterministically), and the whole run repeats exactly on one machine.</param>
/// <param name="Checkpoint">Checkpoint the loop atomically and resume a killed run exactly (<see cref="CheckpointOptions"/>); null: none.</param>
public sealed record VaeTrainingOptions(int Epochs = 10, int BatchSize = 128, double LearningRate = 1e-3, long Seed = 0,
    CheckpointOptions? Checkpoint = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the bad option.</summary>
    public void Validate()
    {
        Check.Positive(Epochs, nameof(VaeTrainingOptions), nameof(Epochs), "Pass at least one epoch (a pass over the data).");
        Check.Positive(BatchSize, nameof(VaeTrainingOptions), nameof(BatchSize), "Pass the rows per minibatch, e.g. 128.");
        Check.Positive(LearningRate, nameof(VaeTrainingOptions), nameof(LearningRate), "Adam's usual step size is 1e-3; lower it if the loss diverges.");
        Checkpoint?.Validate(nameof(VaeTrainingOptions));
    }
}
