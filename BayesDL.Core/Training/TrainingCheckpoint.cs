using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// The checkpoint file of <see cref="Trainer"/> (<see cref="CheckpointOptions"/>), written with <see cref="BinaryWriter"/>:
/// <list type="number">
/// <item>the magic string "BAYESDL-CHECKPOINT";</item>
/// <item>a JSON header (<see cref="Header"/>): format version, completed epochs and optimizer steps, training rows, the
/// options that must match on resume (optimizer, batch size, learning rate, seed, shuffle, the objective's settings), the
/// name, shape and dtype of every state-dict entry, and the epoch reports so far;</item>
/// <item>the model's state dict (parameters and buffers) as TorchSharp's <c>Module.save</c> writes it (the body of a
/// <see cref="ModelFile"/>);</item>
/// <item>the optimizer state as TorchSharp's <c>save_state_dict</c> writes it (Adam: per parameter t, m, v);</item>
/// <item>the CPU generator state (<c>torch.get_rng_state</c>): a length and the bytes.</item>
/// </list>
/// The whole file is written by <see cref="AtomicFile"/> (temporary file + rename).
/// </summary>
internal static class TrainingCheckpoint
{
    const string Magic = "BAYESDL-CHECKPOINT";
    internal const int Version = 1;
    static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    internal sealed record TensorEntry(string Name, long[] Shape, string DType);

    internal sealed record Header(int Version, int CompletedEpochs, long Steps, long Rows, OptimizerKind Optimizer, int BatchSize,
        double LearningRate, long Seed, bool Shuffle, string Objective, List<TensorEntry> Tensors, List<EpochReport> Reports);

    /// <summary>An objective's settings as the header records them (JSON: the same text under every culture).</summary>
    internal static string DescribeSettings(object settings) => JsonSerializer.Serialize(settings, settings.GetType(), Json);

    /// <summary>What a resumed run continues from.</summary>
    internal sealed record Restored(int CompletedEpochs, long Steps, List<EpochReport> Reports);

    internal static Header Describe(nn.Module model, TrainerOptions options, long rows, string objective, int completedEpochs, long steps,
        IEnumerable<EpochReport> reports) =>
        new(Version, completedEpochs, steps, rows, options.Optimizer, options.BatchSize, options.LearningRate, options.Seed, options.Shuffle,
            objective, model.state_dict().Select(e => new TensorEntry(e.Key, e.Value.shape, e.Value.dtype.ToString())).ToList(), reports.ToList());

    /// <summary>Writes the checkpoint atomically; <paramref name="midway"/> (tests) runs after the model state, before the optimizer state.</summary>
    internal static void Write(string path, Header header, nn.Module model, optim.Optimizer optimizer, Action<BinaryWriter>? midway = null) =>
        AtomicFile.Write(path, writer =>
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(header, Json));
            model.save(writer);
            midway?.Invoke(writer);
            WriteOptimizerAndGenerator(writer, optimizer);
        });

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="model"/>, <paramref name="optimizer"/> and the generator after checking
    /// that it was written for the same state-dict layout and options as <paramref name="expected"/>; nothing is loaded when
    /// anything differs (InvalidDataException naming each difference).
    /// </summary>
    internal static Restored Load(string path, Header expected, nn.Module model, optim.Optimizer optimizer)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var saved = ReadHeader<Header>(reader, path, Magic, "training checkpoint", h => h.Version);
        var differences = Differences(saved, expected);
        ThrowIfDifferent(path, differences);
        ReadBody(reader, path, () =>
        {
            model.load(reader);
            return ReadOptimizerAndGenerator(reader, optimizer);
        });
        return new Restored(saved.CompletedEpochs, saved.Steps, saved.Reports);
    }

    // The pieces below are shared with the VAE family's loop (Models.VaeCheckpoint), whose file has its own magic and header.

    /// <summary>Writes the optimizer state (TorchSharp's <c>save_state_dict</c>) and the CPU generator state (length, bytes).</summary>
    internal static void WriteOptimizerAndGenerator(BinaryWriter writer, optim.Optimizer optimizer)
    {
        ((OptimizerHelper)optimizer).save_state_dict(writer);
        using var rng = torch.get_rng_state();
        WriteBytes(writer, rng);
    }

    /// <summary>Reads what <see cref="WriteOptimizerAndGenerator"/> wrote into <paramref name="optimizer"/>; returns the generator state, to be set by <see cref="RestoreGenerator"/>.</summary>
    internal static byte[] ReadOptimizerAndGenerator(BinaryReader reader, optim.Optimizer optimizer)
    {
        ((OptimizerHelper)optimizer).load_state_dict(reader);
        return reader.ReadBytes(reader.ReadInt32());
    }

    /// <summary>A byte tensor (a generator state) as a length and its bytes.</summary>
    internal static void WriteBytes(BinaryWriter writer, Tensor bytes)
    {
        byte[] state = bytes.data<byte>().ToArray();
        writer.Write(state.Length);
        writer.Write(state);
    }

    /// <summary>Sets the engine's CPU generator to a state read by <see cref="ReadOptimizerAndGenerator"/>.</summary>
    internal static void RestoreGenerator(byte[] state)
    {
        using var rng = torch.tensor(state, dtype: ScalarType.Byte);
        torch.set_rng_state(rng);
    }

    /// <summary>A header as the file stores it (JSON: the same text under every culture).</summary>
    internal static string Serialize<T>(T header) => JsonSerializer.Serialize(header, Json);

    /// <summary>Checks the magic string, reads the JSON header and checks its format version (InvalidDataException otherwise).</summary>
    internal static T ReadHeader<T>(BinaryReader reader, string path, string magic, string kind, Func<T, int> version) where T : class
    {
        string found;
        try { found = reader.ReadString(); } catch (EndOfStreamException) { found = ""; }
        if (found != magic) throw new InvalidDataException($"{path} is not a BayesDL {kind} (it does not start with \"{magic}\").");
        var saved = JsonSerializer.Deserialize<T>(reader.ReadString(), Json)
            ?? throw new InvalidDataException($"{path}: the checkpoint header is empty.");
        if (version(saved) != Version)
            throw new InvalidDataException($"{path}: checkpoint format version {version(saved)}; this BayesDL reads version {Version}.");
        return saved;
    }

    /// <summary>Refuses the file when <paramref name="differences"/> is not empty, naming each difference.</summary>
    internal static void ThrowIfDifferent(string path, List<string> differences)
    {
        if (differences.Count > 0)
            throw new InvalidDataException($"{path}: the checkpoint does not match this run: {string.Join("; ", differences)}. " +
                "Resume with the architecture, data and options the checkpoint was written with, or delete the file (or set Resume = false) to start afresh.");
    }

    /// <summary>Reads the body after the header through <paramref name="read"/> (which returns the generator state), then restores the generator.</summary>
    internal static void ReadBody(BinaryReader reader, string path, Func<byte[]> read)
    {
        byte[] state;
        try { state = read(); }
        catch (EndOfStreamException)
        {
            // Writes are atomic, so only a file changed by something else ends early.
            throw new InvalidDataException($"{path}: the checkpoint ends early (after {reader.BaseStream.Position} bytes); it was not written by a complete " +
                "checkpoint write. Delete it (or set Resume = false) to start afresh.");
        }
        RestoreGenerator(state);
    }

    /// <summary>Adds "{what} is {a} in the checkpoint but {b} in this run" to <paramref name="found"/> when the values differ.</summary>
    internal static void Same<T>(List<string> found, string what, T inFile, T inRun)
    {
        if (!EqualityComparer<T>.Default.Equals(inFile, inRun)) found.Add($"{what} is {inFile} in the checkpoint but {inRun} in this run");
    }

    static List<string> Differences(Header saved, Header now)
    {
        var found = new List<string>();
        Same(found, "the optimizer", saved.Optimizer, now.Optimizer);
        Same(found, "the batch size", saved.BatchSize, now.BatchSize);
        Same(found, "the learning rate", saved.LearningRate, now.LearningRate);
        Same(found, "the seed", saved.Seed, now.Seed);
        Same(found, "Shuffle", saved.Shuffle, now.Shuffle);
        Same(found, "the number of training rows", saved.Rows, now.Rows);
        Same(found, "the objective", saved.Objective, now.Objective);
        found.AddRange(TensorDifferences(saved.Tensors, now.Tensors));
        return found;
    }

    /// <summary>Entries missing on either side, and entries of the same name whose shape or dtype differs.</summary>
    internal static IEnumerable<string> TensorDifferences(List<TensorEntry> saved, List<TensorEntry> now)
    {
        var mine = now.ToDictionary(t => t.Name);
        foreach (var t in saved)
        {
            if (!mine.Remove(t.Name, out var m)) yield return $"the checkpoint has '{t.Name}' of shape {Shape(t.Shape)} which the model lacks";
            else if (!t.Shape.SequenceEqual(m.Shape)) yield return $"'{t.Name}' has shape {Shape(t.Shape)} in the checkpoint but {Shape(m.Shape)} in the model";
            else if (t.DType != m.DType) yield return $"'{t.Name}' has dtype {t.DType} in the checkpoint but {m.DType} in the model";
        }
        foreach (var m in mine.Values) yield return $"the model has '{m.Name}' of shape {Shape(m.Shape)} which the checkpoint lacks";
    }

    static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
