using BayesDL.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// The checkpoint file of <see cref="VaeTraining"/> (<see cref="VaeTrainingOptions.Checkpoint"/>), built from
/// <see cref="TrainingCheckpoint"/>'s pieces and written atomically by <see cref="AtomicFile"/>:
/// <list type="number">
/// <item>the magic string "BAYESDL-VAE-CHECKPOINT" (a Trainer checkpoint is refused as such);</item>
/// <item>a JSON header (<see cref="Header"/>): format version, completed epochs and optimizer steps (the KL warm-up
/// depends on the step), training rows, batch size, learning rate and seed, the builder fit's objective settings, shape and dtype of every parameter by
/// position ("parameter i": the loop sees a parameter list, not a module), and the epoch mean losses so far;</item>
/// <item>every parameter as TorchSharp's <c>Tensor.Save</c> writes it, in order;</item>
/// <item>the Adam state (<c>save_state_dict</c>: per parameter t, m, v) and the engine's CPU generator state (the
/// reparameterisation noise);</item>
/// <item>the state of the loop's own shuffling generator (one generator across all epochs), as a length and bytes.</item>
/// </list>
/// </summary>
internal static class VaeCheckpoint
{
    const string Magic = "BAYESDL-VAE-CHECKPOINT";

    internal sealed record Header(int Version, int CompletedEpochs, long Steps, long Rows, int BatchSize, double LearningRate, long Seed,
        string Objective, List<TrainingCheckpoint.TensorEntry> Tensors, List<double> EpochLosses);

    /// <summary>What a resumed run continues from.</summary>
    internal sealed record Restored(long Steps, List<double> EpochLosses);

    internal static Header Describe(IReadOnlyList<TorchSharp.Modules.Parameter> parameters, VaeTrainingOptions options, long rows, string objective, long steps,
        IReadOnlyList<double> epochLosses) =>
        new(TrainingCheckpoint.Version, epochLosses.Count, steps, rows, options.BatchSize, options.LearningRate, options.Seed, objective,
            parameters.Select((p, i) => new TrainingCheckpoint.TensorEntry($"parameter {i}", p.shape, p.dtype.ToString())).ToList(), epochLosses.ToList());

    internal static void Write(string path, Header header, IReadOnlyList<TorchSharp.Modules.Parameter> parameters, optim.Optimizer optimizer,
        Generator shuffler) =>
        AtomicFile.Write(path, writer =>
        {
            writer.Write(Magic);
            writer.Write(TrainingCheckpoint.Serialize(header));
            foreach (var p in parameters) p.Save(writer);
            TrainingCheckpoint.WriteOptimizerAndGenerator(writer, optimizer);
            using var state = shuffler.get_state();
            TrainingCheckpoint.WriteBytes(writer, state);
        });

    /// <summary>
    /// Loads <paramref name="path"/> into the parameters, the optimizer, the engine's generator and <paramref name="shuffler"/> after
    /// checking it against <paramref name="expected"/>; nothing is loaded when anything differs (InvalidDataException naming each difference).
    /// </summary>
    internal static Restored Load(string path, Header expected, IReadOnlyList<TorchSharp.Modules.Parameter> parameters, optim.Optimizer optimizer,
        Generator shuffler)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var saved = TrainingCheckpoint.ReadHeader<Header>(reader, path, Magic, "VAE-family training checkpoint", h => h.Version);
        var found = new List<string>();
        TrainingCheckpoint.Same(found, "the batch size", saved.BatchSize, expected.BatchSize);
        TrainingCheckpoint.Same(found, "the learning rate", saved.LearningRate, expected.LearningRate);
        TrainingCheckpoint.Same(found, "the seed", saved.Seed, expected.Seed);
        TrainingCheckpoint.Same(found, "the number of training rows", saved.Rows, expected.Rows);
        TrainingCheckpoint.Same(found, "the objective", saved.Objective, expected.Objective);
        found.AddRange(TrainingCheckpoint.TensorDifferences(saved.Tensors, expected.Tensors));
        TrainingCheckpoint.ThrowIfDifferent(path, found);
        TrainingCheckpoint.ReadBody(reader, path, () =>
        {
            using (no_grad())
                foreach (var p in parameters) p.Load(reader);
            byte[] engineState = TrainingCheckpoint.ReadOptimizerAndGenerator(reader, optimizer);
            using var state = tensor(reader.ReadBytes(reader.ReadInt32()), dtype: ScalarType.Byte);
            shuffler.set_state(state);
            return engineState;
        });
        return new Restored(saved.Steps, saved.EpochLosses);
    }
}
