namespace BayesDL.Training;

/// <summary>Settings of <see cref="Trainer"/>, the one minibatch training loop (every fit of the library runs through it).</summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Rows per minibatch (the last one may be smaller).</param>
/// <param name="Optimizer">Which optimizer.</param>
/// <param name="LearningRate">Its (base) step size η_0.</param>
/// <param name="Seed">Seeds the engine's generator when training starts (weight noise, dropout masks, latent draws) and the
/// shuffling: the same seed gives the same run (the shuffle contract is on <see cref="Trainer"/>).</param>
/// <param name="Shuffle">Reshuffle rows every epoch (false: every epoch visits the rows in order).</param>
/// <param name="Checkpoint">Write (and resume from) a training checkpoint; null: none.</param>
/// <param name="Schedule">How the learning rate moves over the run (<see cref="LearningRateSchedule"/>); null: constant.</param>
public sealed record TrainerOptions(
    int Epochs = 10,
    int BatchSize = 128,
    OptimizerKind Optimizer = OptimizerKind.Adam,
    double LearningRate = 1e-3,
    long Seed = 0,
    bool Shuffle = true,
    CheckpointOptions? Checkpoint = null,
    LearningRateSchedule? Schedule = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string component = nameof(TrainerOptions);
        Validation.Check.Positive(Epochs, component, nameof(Epochs), "Pass at least one epoch (a pass over the training set).");
        Validation.Check.Positive(BatchSize, component, nameof(BatchSize), "Pass the rows per minibatch, e.g. 128.");
        Validation.Check.Argument(Enum.IsDefined(Optimizer), component, nameof(Optimizer), Optimizer.ToString(), "an OptimizerKind value",
            "Use OptimizerKind.Adam, OptimizerKind.Sgd or OptimizerKind.SgdMomentum.");
        Validation.Check.Positive(LearningRate, component, nameof(LearningRate),
            "Adam's usual step size is 1e-3; lower it if the loss diverges.");
        Checkpoint?.Validate(component);
    }
}
