namespace BayesDL.Training;

/// <summary>
/// Checkpointing of a run of the one training loop, <see cref="Trainer"/> (set <see cref="TrainerOptions.Checkpoint"/>, or the
/// Checkpoint option of a builder's fit: variational, MC dropout, concrete dropout, every VAE-family fit, ensembles). After every
/// <see cref="EveryEpochs"/>-th epoch and after the last one, the trainer writes to <see cref="Path"/> atomically
/// (temporary file in the same folder, renamed over the target) everything the run needs to continue: parameters and
/// buffers, optimizer state (Adam's moments m, v and step count t; SGD's momentum buffers), the completed epochs with
/// their reports, and the engine's random-number-generator state. Contract: with <see cref="Resume"/> set, a run killed
/// after epoch k and restarted with the same model architecture, data, options and seed ends bitwise identical to the
/// uninterrupted run (parameters, optimizer state and epoch reports apart from their wall time), because epoch k + 1
/// starts from the same θ_k, optimizer state and generator state, the row shuffle of epoch e is seeded by
/// (seed, e) alone (the shuffle contract on <see cref="Trainer"/>), and a learning-rate schedule is a function of the step.
/// An ensemble's fit keeps one file for all members: killed in member m, it resumes member m from its last checkpoint
/// and the members before it from their saved weights. The data are checked by row count only: resuming on other rows
/// of the same count is not detected. (On CUDA, whose generator state TorchSharp does not expose, the CUDA generator is
/// reseeded from (seed, epoch) at each epoch start instead, which keeps the same contract.)
/// <para>File format: <see cref="TrainingCheckpoint"/> (versioned, with the loop's kind, checksummed: a truncated or changed
/// file is refused with a <see cref="Validation.FileFormatException"/> naming the file, and so is a checkpoint of another run).</para>
/// </summary>
/// <param name="Path">The checkpoint file (its folder must exist).</param>
/// <param name="EveryEpochs">Write after every this many epochs (and after the last epoch).</param>
/// <param name="Resume">
/// True: when <see cref="Path"/> exists, load it before training and continue from the epoch after the last completed one
/// (a checkpoint that does not match the model or the options is refused with an error naming the difference).
/// False: start afresh and overwrite the file.
/// </param>
public sealed record CheckpointOptions(string Path, int EveryEpochs = 1, bool Resume = true)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="component"/> when the path is blank or
    /// EveryEpochs &lt; 1.</summary>
    internal void Validate(string component)
    {
        Validation.Check.Argument(!string.IsNullOrWhiteSpace(Path), component, "Checkpoint.Path", $"\"{Path}\"", "a file path",
            "Give the checkpoint a file name, e.g. new CheckpointOptions(\"run.ckpt\").");
        Validation.Check.Positive(EveryEpochs, component, "Checkpoint.EveryEpochs",
            "Use 1 to write after every epoch, or k to write after every k-th.");
    }
}
