using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.IO;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// The fit a checkpoint belongs to (its <see cref="TrainingCheckpoint.Header.Kind"/>). Every kind is written by the one loop,
/// <see cref="Trainer"/>; the kind keeps a checkpoint of one fit from being resumed by another.
/// </summary>
internal enum CheckpointKind
{
    /// <summary><see cref="Trainer"/>'s fits and the builders' Bayes-by-Backprop, MC and concrete dropout fits: the model's state dict
    /// (or the parameters by position).</summary>
    Trainer,

    /// <summary>The VAE family's fits (Builders.VaeFitting: VAE, autoencoder, conditional VAE, M2): the model's state dict.</summary>
    VaeFamily,

    /// <summary>
    /// A deep ensemble's fit (Builders.EnsembleBuilding.FitEnsemble): every member's state dict ("member m/..."), the optimizer
    /// of the member in training, and the histories of the members completed before it
    /// (<see cref="TrainingCheckpoint.Header.CompletedRuns"/>).
    /// </summary>
    Ensemble,
}

/// <summary>
/// The one checkpoint format of BayesDL's training loops (<see cref="CheckpointOptions"/>), format version 2, in the
/// checksummed frame of <see cref="SealedFile"/> (magic "BAYESDL-CHECKPOINT", written atomically). The body:
/// <list type="number">
/// <item>a JSON header (<see cref="Header"/>): format version, <see cref="CheckpointKind"/>, completed epochs and optimizer
/// steps, the settings that must match on resume (name and value: optimizer, batch size, learning rate, seed, training
/// rows, the objective's settings, ...), the name, shape and dtype of every saved tensor, and the kind's epoch
/// history (<see cref="EpochReport"/>s; for an ensemble also those of the members completed before the one in training);</item>
/// <item>the tensors (<see cref="NamedTensors"/>: the model's state dict, every member's for an ensemble, or "parameter i" for a
/// loss over parameters);</item>
/// <item>the optimizer state as TorchSharp's <c>save_state_dict</c> writes it (Adam: per parameter t, m, v; SGD: momentum
/// buffers), as a length (int64) and the bytes;</item>
/// <item>the generator states: a count (int32), then per generator its name ("engine": the engine's CPU generator, the only one:
/// the shuffle of epoch e is seeded by (seed, e) alone), a length (int32) and the bytes.</item>
/// </list>
/// <see cref="Load"/> verifies the checksum, then checks the kind, the settings and every tensor's name, shape, dtype
/// and finiteness, the optimizer state (complete for this run's optimizer, every moment and momentum buffer finite) and
/// every generator state's length, before it changes anything; every problem is a
/// <see cref="FileFormatException"/> naming the file. Checkpoints of format version 1 (written by earlier BayesDL
/// versions, without checksum) are refused naming both versions.
/// </summary>
internal static class TrainingCheckpoint
{
    const string Magic = "BAYESDL-CHECKPOINT";
    // Version 1 of the VAE family's loop wrote its own magic; it is recognised only to be refused by version.
    const string VersionOneVaeMagic = "BAYESDL-VAE-CHECKPOINT";
    internal const int Version = 2;
    const string What = "BayesDL training checkpoint";
    static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    internal sealed record TensorEntry(string Name, long[] Shape, string DType);

    /// <summary>A setting that must be the same when the run resumes, by its name in messages ("the learning rate").</summary>
    internal sealed record Setting(string Name, string Value);

    /// <summary>
    /// The checkpoint's JSON header; <paramref name="Reports"/> holds one entry per completed epoch of the run in training, and
    /// <paramref name="CompletedRuns"/> (ensembles: one history per member completed before it) the runs of the same fit before it.
    /// </summary>
    internal sealed record Header(int Version, CheckpointKind Kind, int CompletedEpochs, long Steps,
        List<Setting> Settings, List<TensorEntry> Tensors,
        List<EpochReport>? Reports = null, List<List<EpochReport>>? CompletedRuns = null);

    /// <summary>What a checkpoint saves and restores: named tensors and the optimizer (and the engine's generator).</summary>
    internal sealed record State(IReadOnlyList<(string Name, Tensor Value)> Tensors, optim.Optimizer Optimizer);

    /// <summary>An objective's settings as the header records them (JSON: the same text under every culture).</summary>
    internal static string DescribeSettings(object settings) => JsonSerializer.Serialize(settings, settings.GetType(), Json);

    /// <summary>A setting's value as the header records it (invariant culture; doubles round-trip).</summary>
    internal static Setting Same(string name, object value) =>
        new(name, value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : Convert.ToString(value,
            CultureInfo.InvariantCulture) ?? "");

    /// <summary>The header of a run at this point.</summary>
    internal static Header Describe(CheckpointKind kind, State state, int completedEpochs, long steps, IEnumerable<Setting> settings,
        IEnumerable<EpochReport>? reports = null, IEnumerable<IEnumerable<EpochReport>>? completedRuns = null) =>
        new(Version, kind, completedEpochs, steps, settings.ToList(),
            state.Tensors.Select(t => new TensorEntry(t.Name, t.Value.shape, t.Value.dtype.ToString())).ToList(), reports?.ToList(),
            completedRuns?.Select(r => r.ToList()).ToList());

    /// <summary>Writes the checkpoint atomically; <paramref name="midway"/> (tests) runs after the tensors, before the
    /// optimizer state.</summary>
    internal static void Write(string path, Header header, State state, Action<BinaryWriter>? midway = null) =>
        SealedFile.Write(path, Magic, Version, writer =>
        {
            writer.Write(JsonSerializer.Serialize(header, Json));
            NamedTensors.Write(writer, state.Tensors);
            midway?.Invoke(writer);
            using (var optimizer = new MemoryStream())
            {
                using (var w = new BinaryWriter(optimizer, System.Text.Encoding.UTF8,
                    leaveOpen: true)) ((OptimizerHelper)state.Optimizer).save_state_dict(w);
                writer.Write(optimizer.Length);
                writer.Write(optimizer.GetBuffer(), 0, (int)optimizer.Length);
            }
            var generators = Generators(state);
            writer.Write(generators.Count);
            foreach (var (name, bytes) in generators)
            {
                writer.Write(name);
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
        });

    /// <summary>
    /// Loads <paramref name="path"/> into the state's tensors, optimizer and generators after checking that it is a checkpoint of
    /// <paramref name="expected"/>'s kind written for the same settings and tensors; returns the saved header. Nothing is loaded
    /// when anything differs or is corrupt (<see cref="FileFormatException"/> naming the file and each difference).
    /// </summary>
    internal static Header Load(string path, Header expected, State state)
    {
        var (reader, saved) = Open(path, expected.Kind);
        var differences = Differences(saved, expected);
        if (differences.Count > 0)
            throw reader.Error("a checkpoint of this run (the same architecture, data and options)", string.Join("; ", differences) +
                ". Resume with the architecture, data and options the checkpoint was written with, or delete the file (or set " +
                "Resume = false) to start afresh");
        var tensors = NamedTensors.Read(reader, state.Tensors.Select(t => (t.Name, t.Value)).ToList(),
            sameDType: true, "the checkpoint's model state");
        try
        {
            byte[] optimizer = reader.ByteArray(reader.Int64("the length of the optimizer state"), "the optimizer state");
            var current = Generators(state);
            int count = reader.Int32("the number of generator states");
            if (count != current.Count)
                throw reader.Error($"{current.Count} generator states ({string.Join(", ", current.Select(g => g.Name))})", $"{count}");
            var generators = new List<byte[]>();
            foreach (var (name, bytes) in current)
            {
                string found = reader.String("the name of a generator state", 64);
                if (found != name) throw reader.Error($"the state of the generator \"{name}\"", $"\"{found}\"");
                int length = reader.Int32($"the length of the \"{name}\" generator state");
                // The engine aborts the process on a state of the wrong size: check it here.
                if (length != bytes.Length)
                    throw reader.Error($"a \"{name}\" generator state of {bytes.Length} bytes (this engine's)", $"{length} bytes");
                generators.Add(reader.ByteArray(length, $"the \"{name}\" generator state"));
            }
            reader.End("the generator states");
            CheckOptimizerState(path, state, optimizer);
            Restore(state, tensors, optimizer, generators);
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
        return saved;
    }

    /// <summary>
    /// The header of the checkpoint at <paramref name="path"/>, checked (checksum, version, kind, one history entry per completed
    /// epoch) but not compared with a run and nothing loaded: what a fit of several runs (an ensemble) reads to learn which run to
    /// resume. <see cref="Load"/> checks the rest when that run resumes.
    /// </summary>
    internal static Header Peek(string path, CheckpointKind kind) => Open(path, kind).Header;

    static (FileReader Reader, Header Header) Open(string path, CheckpointKind kind)
    {
        var opened = SealedFile.Open(path, What, [Magic, VersionOneVaeMagic], firstSealed: Version, current: Version, out string magic);
        var reader = opened.Reader;
        if (opened.Legacy || magic != Magic)
            throw reader.Error($"a training checkpoint of format version {Version}",
                $"format version {opened.Version} (written by an earlier BayesDL; this BayesDL reads version {Version}). Delete the file " +
                "(or set Resume = false) to start afresh");
        var saved = reader.Json<Header>("the checkpoint header", Json);
        CheckHeader(reader, saved, opened.Version, kind);
        return (reader, saved);
    }

    static void CheckHeader(FileReader reader, Header saved, int version, CheckpointKind kind)
    {
        if (saved.Version != version)
            throw reader.Error($"format version {version} in the header, as in the preamble", $"version {saved.Version}");
        if (!Enum.IsDefined(saved.Kind) || saved.Kind != kind)
            throw reader.Error($"a checkpoint of kind {kind} ({Loop(kind)})", $"kind {saved.Kind} ({Loop(saved.Kind)})");
        if (saved.Settings is null || saved.Tensors is null
            || saved.Tensors.Any(t => t?.Name is null || t.Shape is null || t.DType is null))
            throw reader.Error("a header listing the settings and tensors", "a header without them");
        int history = saved.Reports is { } reports && reports.All(r => r is not null) ? reports.Count : -1;
        if (saved.CompletedEpochs < 0 || saved.Steps < 0 || history != saved.CompletedEpochs)
            throw reader.Error("a header with one history entry per completed epoch and a non-negative step count",
                $"{saved.CompletedEpochs} completed epochs, {saved.Steps} steps and {history} history entries");
        if (kind == CheckpointKind.Ensemble
            && (saved.CompletedRuns is null || saved.CompletedRuns.Any(r => r is null || r.Any(e => e is null))))
            throw reader.Error("an ensemble checkpoint with the histories of the members completed before the one in training", "none");
    }

    static string Loop(CheckpointKind kind) => kind switch
    {
        CheckpointKind.Trainer => "written by Trainer and the builders' Bayes-by-Backprop and dropout fits",
        CheckpointKind.VaeFamily => "written by the VAE family's fits",
        CheckpointKind.Ensemble => "written by the ensemble fit",
        _ => "unknown",
    };

    /// <summary>
    /// Loads the saved optimizer state into a scratch optimizer of the run's type over zero copies of its parameters
    /// (the same parameter groups), and checks that it is this optimizer's state with no bytes left over and that every
    /// state tensor (Adam's moments, SGD's momentum buffers) is finite: a bad state is a <see cref="FileFormatException"/>
    /// naming the file, the state tensor and its parameter before <see cref="Restore"/> changes the run.
    /// </summary>
    static void CheckOptimizerState(string path, State state, byte[] bytes)
    {
        const string Expected = "the optimizer state as this run's optimizer writes it";
        var live = (OptimizerHelper)state.Optimizer;
        var names = new Dictionary<IntPtr, string>();
        foreach (var (name, value) in state.Tensors) names.TryAdd(value.Handle, name);
        using var scope = NewDisposeScope();
        var groups = live.ParamGroups.Cast<ParamGroup>().Select(g => g.Parameters.ToList()).ToList();
        var copies = groups.Select(g => g.Select(p => new Parameter(zeros_like(p), requires_grad: false)).ToList()).ToList();
        using optim.Optimizer scratch = live switch
        {
            Adam => optim.Adam(copies.Select(g => new Adam.ParamGroup(g))),
            SGD => optim.SGD(copies.Select(g => new SGD.ParamGroup(g)), 0.1),
            _ => throw new InvalidOperationException("TrainingCheckpoint: no state check for the optimizer " +
            $"{live.GetType().Name}; add it to CheckOptimizerState."),
        };
        try
        {
            using var stream = new MemoryStream(bytes);
            using var reader = new BinaryReader(stream);
            ((OptimizerHelper)scratch).load_state_dict(reader);
            if (stream.Position != stream.Length)
                throw new FileFormatException(path, Expected, $"{stream.Length - stream.Position} bytes left over");
        }
        catch (Exception e) when (e is not FileFormatException and not OutOfMemoryException)
        {
            throw new FileFormatException(path, Expected, e.Message, e);
        }
        var parameters = groups.SelectMany(g => g).ToList();
        var saved = ((OptimizerHelper)scratch).state_dict().State;
        for (int i = 0; i < saved.Count; i++)
        {
            string parameter = names.TryGetValue(parameters[i].Handle, out string? name) ? $"'{name}'" : $"parameter {i}";
            foreach (var (what, value) in StateTensors(saved[i]))
                if (value is not null && NamedTensors.NonFinite(value) is string found)
                    throw new FileFormatException(path,
                        $"finite values in {what} of {parameter} in the checkpoint's optimizer state", found);
        }
    }

    /// <summary>The tensors of one parameter's optimizer state, by name in messages (null where the state holds none yet).</summary>
    static (string What, Tensor? Value)[] StateTensors(OptimizerState s) => s switch
    {
        Adam.State a => [("the Adam first moment (exp_avg)", a.exp_avg), ("the Adam second moment (exp_avg_sq)", a.exp_avg_sq),
            ("the Adam maximum second moment (max_exp_avg_sq)", a.max_exp_avg_sq)],
        SGD.State g => [("the SGD momentum buffer (momentum_buffer)", g.momentum_buffer)],
        _ => throw new InvalidOperationException($"TrainingCheckpoint: no state check for {s.GetType().FullName}; add it to StateTensors."),
    };

    /// <summary>Applies a checked checkpoint: the tensors, the optimizer state (checked by <see cref="CheckOptimizerState"/>),
    /// the generators.</summary>
    static void Restore(State state, Tensor[] tensors, byte[] optimizer, List<byte[]> generators)
    {
        using (no_grad())
            for (int i = 0; i < tensors.Length; i++) state.Tensors[i].Value.copy_(tensors[i]);
        using (var stream = new MemoryStream(optimizer))
        using (var reader = new BinaryReader(stream))
            ((OptimizerHelper)state.Optimizer).load_state_dict(reader);
        using (var engine = tensor(generators[0], dtype: ScalarType.Byte)) torch.set_rng_state(engine);
    }

    static List<(string Name, byte[] Bytes)> Generators(State state)
    {
        var list = new List<(string, byte[])>();
        using (var engine = torch.get_rng_state()) list.Add(("engine", engine.data<byte>().ToArray()));
        return list;
    }

    static List<string> Differences(Header saved, Header now)
    {
        var found = new List<string>();
        var mine = saved.Settings.Where(s => s?.Name is not null).GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.First().Value);
        foreach (var s in now.Settings)
        {
            if (!mine.Remove(s.Name, out string? value)) found.Add($"{s.Name} is not in the checkpoint but {s.Value} in this run");
            else if (value != s.Value) found.Add($"{s.Name} is {value} in the checkpoint but {s.Value} in this run");
        }
        foreach (var (name, value) in mine) found.Add($"{name} is {value} in the checkpoint but not a setting of this run");
        found.AddRange(TensorDifferences(saved.Tensors, now.Tensors));
        return found;
    }

    /// <summary>Entries missing on either side, and entries of the same name whose shape or dtype differs.</summary>
    static IEnumerable<string> TensorDifferences(List<TensorEntry> saved, List<TensorEntry> now)
    {
        var mine = now.ToDictionary(t => t.Name);
        foreach (var t in saved)
        {
            if (!mine.Remove(t.Name, out var m)) yield return $"the checkpoint has '{t.Name}' of shape " +
                $"{Check.Shape(t.Shape)} which the model lacks";
            else if (!t.Shape.SequenceEqual(m.Shape)) yield return $"'{t.Name}' has shape {Check.Shape(t.Shape)} in the checkpoint but " +
                $"{Check.Shape(m.Shape)} in the model";
            else if (t.DType != m.DType) yield return $"'{t.Name}' has dtype {t.DType} in the checkpoint but {m.DType} in the model";
        }
        foreach (var m in mine.Values) yield return $"the model has '{m.Name}' of shape {Check.Shape(m.Shape)} which the checkpoint lacks";
    }
}
