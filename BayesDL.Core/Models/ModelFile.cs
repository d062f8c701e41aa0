using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.Engine;
using BayesDL.IO;
using BayesDL.Layers;
using BayesDL.Networks;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// Saves and loads a <see cref="BayesianNetwork"/> whole: the architecture (each layer under its name in the body, so the
/// state-dict keys match, e.g. the <c>mc_dropout_k</c> layers <see cref="MCDropoutConverter"/> inserts), each layer's
/// settings (estimator, prior and initialisation of Bayesian layers; rank and prior of <see cref="MultivariateBayesLinear"/>;
/// temperature, regularizers and length-scale of concrete dropout; dropout rates; whether a Monte Carlo layer samples in
/// evaluation mode), the likelihood (with learned noise), and every parameter (posterior mu, rho, low-rank factor or
/// Cholesky factor, learned dropout logits). Format version 3: the checksummed frame of <see cref="SealedFile"/> (magic
/// "BAYESDL-BNN") around a JSON description and the state dict (<see cref="NamedTensors"/>, TorchSharp's layout). Writes go
/// to a temporary file in the same folder that is renamed over the target, so a crash never leaves a half-written model.
/// Files of versions 1 and 2 (the magic, the JSON description and the state dict, without checksum; version 1 numbers the
/// layers 0, 1, ... and has no per-type settings) still load. Every problem with a file (missing, truncated, corrupt, of
/// a newer version, a description that does not parse, weights of another architecture, NaN or infinite weights) is a
/// <see cref="FileFormatException"/> naming the file, what was expected and what was found.
/// Supported modules: every registered layer kind (<see cref="LayerKinds"/>; each writes and reads its own fields): BayesLinear,
/// BayesConv2d, MultivariateBayesLinear, ConcreteDropout and VariationalConcreteDropout (around a Linear or square Conv2d),
/// MCDropout, MCSpatialDropout, Dropout, Linear, Conv2d (square), the activations, Flatten: every layer the builders and the
/// F# DSL declare.
/// </summary>
public static class ModelFile
{
    const string Magic = "BAYESDL-BNN";
    const int Version = 3;
    // The first version written in the checksummed frame.
    const int FirstSealedVersion = 3;
    const int OldestReadableVersion = 1;
    const string What = "BayesDL model file";
    static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // The module types a saved body may hold, as the error for any other names them.
    static string SupportedModules => LayerKinds.Supported + " (ConcreteDropout and VariationalConcreteDropout around a Linear or Conv2d; Conv2d with a square kernel, groups 1)";

    internal sealed record NetworkRecord(int Version, List<LayerRecord> Layers, LikelihoodSpec Likelihood);

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically. Throws <see cref="ArgumentException"/> naming the layer when
    /// the body holds a module that is not supported (see the class remarks; nothing is written then).
    /// </summary>
    public static void Save(BayesianNetwork model, string path)
    {
        var layers = model.Body.named_children().Select(c => Describe(c.name, c.module)).ToList();
        var record = new NetworkRecord(Version, layers, model.Likelihood.Describe());
        SealedFile.Write(path, Magic, Version, writer =>
        {
            writer.Write(JsonSerializer.Serialize(record, Json));
            NamedTensors.Write(writer, model.state_dict().Select(e => (e.Key, e.Value)).ToList());
        });
    }

    /// <summary>
    /// Reads a model written by <see cref="Save"/> (format version 1, 2 or 3), placed by <paramref name="policy"/> (default policy if
    /// null). Throws <see cref="FileFormatException"/> naming the file for every file that is not a valid model file.
    /// </summary>
    public static BayesianNetwork Load(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var opened = SealedFile.Open(path, What, [Magic], FirstSealedVersion, Version, out _);
        var reader = opened.Reader;
        var record = reader.Json<NetworkRecord>("the model description", Json);
        if (record.Version != opened.Version)
            throw reader.Error($"format version {opened.Version} in the model description, as in the preamble", $"version {record.Version}");
        if (record.Version < OldestReadableVersion)
            throw reader.Error($"a {What} of format version {OldestReadableVersion} to {Version}", $"version {record.Version}");
        if (record.Layers is null || record.Likelihood is null || record.Layers.Any(l => l?.Type is null || l.Sizes is null))
            throw reader.Error("a model description with its layers (type and sizes) and likelihood", "a description without them");
        // Version 1 named the body's layers by position, as nn.Sequential does.
        var layers = record.Layers.Select((r, i) => (r.Name ?? i.ToString(), Build(r, reader))).ToArray();
        BayesianNetwork? model = null;
        try
        {
            model = BayesianNetwork.Create(nn.Sequential(layers), Described(reader, "the likelihood", () => Likelihood.FromSpec(record.Likelihood)));
            policy.Apply(model);
            var targets = model.state_dict().Select(e => (e.Key, e.Value)).ToList();
            var tensors = NamedTensors.Read(reader, targets, sameDType: false, "the model's weights");
            try
            {
                reader.End("the model's weights");
                using (no_grad())
                    for (int i = 0; i < tensors.Length; i++) targets[i].Value.copy_(tensors[i]);
            }
            finally
            {
                foreach (var t in tensors) t.Dispose();
            }
            return model;
        }
        catch
        {
            if (model is not null) model.Dispose();
            else foreach (var (_, layer) in layers) layer.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="make"/>; anything it throws is a <see cref="FileFormatException"/> about <paramref name="what"/>.</summary>
    static T Described<T>(FileReader reader, string what, Func<T> make)
    {
        try { return make(); }
        catch (Exception e) when (e is not FileFormatException and not OutOfMemoryException)
        {
            throw reader.Error($"a valid description of {what}", e.Message, e);
        }
    }

    static LayerRecord Describe(string name, nn.Module m) =>
        Record(m, name) with { Name = name, MonteCarlo = (m as IMonteCarloLayer)?.MonteCarlo };

    static LayerRecord Record(nn.Module m, string name) =>
        LayerKinds.For(m)?.Save(m, inner => Record(inner, name))
        ?? throw Check.Error(nameof(ModelFile), "model", $"layer '{name}' of type {m.GetType().Name}", "made of " + SupportedModules,
            "Replace the layer by a supported one, or save its parameters with TorchSharp's Module.save.");

    static nn.Module<Tensor, Tensor> Build(LayerRecord r, FileReader reader)
    {
        string name = r.Name ?? r.Type;
        var kind = LayerKinds.Named(r.Type) ?? throw reader.Error($"a layer type this BayesDL knows ({SupportedModules})", $"the layer type \"{r.Type}\"");
        // A description whose layers need more weights than the file holds bytes is corrupt: refuse it before allocating them.
        long weights = kind.Weights(r);
        if (weights < 0 || weights > reader.Remaining)
            throw reader.Error($"sizes of the {r.Type} layer '{name}' whose weights fit in the file's {reader.Remaining} bytes of weights",
                $"sizes [{string.Join(", ", r.Sizes)}]{(r.Multivariate is null ? "" : $" (rank {r.Multivariate.Rank})")}");
        var layer = Described(reader, $"the {r.Type} layer '{name}'", () => kind.Load(new LayerReading(r, reader, inner => Build(inner, reader))));
        if (r.MonteCarlo is bool monteCarlo && layer is IMonteCarloLayer mc) mc.MonteCarlo = monteCarlo;
        return layer;
    }
}
