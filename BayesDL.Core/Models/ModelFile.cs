using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Objectives;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BayesDL.Predictive;

namespace BayesDL.Models;

/// <summary>
/// Saves and loads a <see cref="BayesianNetwork"/> whole: the architecture (each layer under its name in the body, so the
/// state-dict keys match, e.g. the <c>mc_dropout_k</c> layers <see cref="MCDropoutConverter"/> inserts), each layer's
/// settings (estimator, prior and initialisation of Bayesian layers; rank and prior of <see cref="MultivariateBayesLinear"/>;
/// temperature, regularizers and length-scale of concrete dropout; dropout rates; whether a Monte Carlo layer samples in
/// evaluation mode), the likelihood (with learned noise), and every parameter (posterior mu, rho, low-rank factor or
/// Cholesky factor, learned dropout logits). Format: the magic "BAYESDL-BNN", a JSON description, then TorchSharp's
/// state dict. Writes go to a temporary file in the same folder that is renamed over the target, so a crash never leaves
/// a half-written model. Version 2 is written; version 1 files (layers numbered 0, 1, ... and no per-type settings) still load.
/// Supported modules: BayesLinear, BayesConv2d, MultivariateBayesLinear, ConcreteDropout and VariationalConcreteDropout (around a
/// Linear or square Conv2d), MCDropout, MCSpatialDropout, Dropout, Linear, Conv2d (square), ReLU, Tanh, Sigmoid, Softplus, ELU,
/// GELU, Softmax, Flatten: every layer the builders and the F# DSL declare.
/// </summary>
public static class ModelFile
{
    const string Magic = "BAYESDL-BNN";
    const int Version = 2;
    const int OldestReadableVersion = 1;
    static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // The module types a saved body may hold, as the error for any other names them.
    const string SupportedModules =
        "BayesLinear, BayesConv2d, MultivariateBayesLinear, ConcreteDropout and VariationalConcreteDropout (around a Linear or Conv2d), " +
        "MCDropout, MCSpatialDropout, Dropout, Linear, Conv2d (square kernel, groups 1), ReLU, Tanh, Sigmoid, Softplus, ELU, GELU, Softmax and Flatten";

    /// <summary>
    /// One layer. Version 1 wrote Type, Sizes and Options only; later fields are null there. Settings holds a type's
    /// scalar hyperparameters by name; Inner is the weight layer a concrete-dropout layer wraps.
    /// </summary>
    internal sealed record LayerRecord(string Type, long[] Sizes, BayesLayerOptions? Options, string? Name = null,
        Dictionary<string, double>? Settings = null, MultivariateBayesOptions? Multivariate = null,
        ConcreteDropoutOptions? Concrete = null, LayerRecord? Inner = null, bool? MonteCarlo = null);

    internal sealed record NetworkRecord(int Version, List<LayerRecord> Layers, LikelihoodSpec Likelihood);

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically. Throws <see cref="ArgumentException"/> naming the layer when
    /// the body holds a module that is not supported (see the class remarks; nothing is written then).
    /// </summary>
    public static void Save(BayesianNetwork model, string path)
    {
        var layers = model.Body.named_children().Select(c => Describe(c.name, c.module)).ToList();
        var record = new NetworkRecord(Version, layers, model.Likelihood.Describe());
        AtomicFile.Write(path, writer =>
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(record, Json));
            model.save(writer);
        });
    }

    /// <summary>Reads a model written by <see cref="Save"/> (format version 1 or 2), placed by <paramref name="policy"/> (default policy if null).</summary>
    public static BayesianNetwork Load(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        string magic;
        try { magic = reader.ReadString(); } catch (EndOfStreamException) { magic = ""; }
        if (magic != Magic) throw new InvalidDataException($"{path} is not a BayesDL model file (it does not start with \"{Magic}\").");
        var record = JsonSerializer.Deserialize<NetworkRecord>(reader.ReadString(), Json)
            ?? throw new InvalidDataException($"{path}: the model description is empty.");
        if (record.Version < OldestReadableVersion || record.Version > Version)
            throw new InvalidDataException($"{path}: model file version {record.Version}; this BayesDL reads versions {OldestReadableVersion} to {Version}" +
                (record.Version > Version ? " (the file was written by a newer BayesDL: update BayesDL to load it)." : "."));
        // Version 1 named the body's layers by position, as nn.Sequential does.
        var layers = record.Layers.Select((r, i) => (r.Name ?? i.ToString(), Build(r, path))).ToArray();
        var model = BayesianNetwork.Create(nn.Sequential(layers), Likelihood.FromSpec(record.Likelihood));
        policy.Apply(model);
        model.load(reader);
        return model;
    }

    static LayerRecord Describe(string name, nn.Module m) =>
        Record(m, name) with { Name = name, MonteCarlo = (m as IMonteCarloLayer)?.MonteCarlo };

    static LayerRecord Record(nn.Module m, string name) => m switch
    {
        BayesLinear l => new(nameof(BayesLinear), [l.InFeatures, l.OutFeatures], l.Options),
        BayesConv2d c => new(nameof(BayesConv2d), [c.InChannels, c.OutChannels, c.KernelSize, c.Stride, c.Padding, c.Dilation], c.Options),
        MultivariateBayesLinear l => new(nameof(MultivariateBayesLinear), [l.InFeatures, l.OutFeatures], null, Multivariate: l.Options),
        // Rebuilt from its length-scale and initial p (its ConcreteDropoutOptions follow from them); the options are kept for readers.
        VariationalConcreteDropout v => new(nameof(VariationalConcreteDropout), [], null, Settings: new() { ["LengthScale"] = v.LengthScale },
            Concrete: v.Dropout.Options, Inner: Record(v.Dropout.Layer, name)),
        ConcreteDropout c => new(nameof(ConcreteDropout), [], null, Concrete: c.Options, Inner: Record(c.Layer, name)),
        MCDropout d => new(nameof(MCDropout), [], null, Settings: new() { ["P"] = d.P }),
        MCSpatialDropout d => new(nameof(MCSpatialDropout), [], null, Settings: new() { ["P"] = d.P }),
        Dropout d => new(nameof(Dropout), [], null, Settings: new() { ["P"] = d.p }),
        Linear l => new(nameof(Linear), [l.in_features, l.out_features, l.bias is null ? 0L : 1L], null),
        Conv2d c when c.padding is not null && c.kernel_size.Distinct().Count() == 1 && c.groups == 1 => new(nameof(Conv2d),
            [c.in_channels, c.out_channels, c.kernel_size[0], c.stride![0], c.padding![0], c.dilation![0], c.bias is null ? 0L : 1L], null),
        Softplus s => new(nameof(Softplus), [], null, Settings: new() { ["Beta"] = s.beta, ["Threshold"] = s.threshold }),
        ELU e => new(nameof(ELU), [], null, Settings: new() { ["Alpha"] = e.alpha }),
        GELU g => new(nameof(GELU), [], null, Settings: new() { ["Tanh"] = g.approximate == GELU.Approximate.tanh ? 1 : 0 }),
        Softmax s => new(nameof(Softmax), [s.dim], null),
        Flatten f => new(nameof(Flatten), [f.start_dim, f.end_dim], null),
        ReLU or Tanh or Sigmoid => new(m.GetType().Name, [], null),
        _ => throw Check.Error(nameof(ModelFile), "model", $"layer '{name}' of type {m.GetType().Name}", "made of " + SupportedModules,
            "Replace the layer by a supported one, or save its parameters with TorchSharp's Module.save."),
    };

    static nn.Module<Tensor, Tensor> Build(LayerRecord r, string path)
    {
        long[] s = r.Sizes;
        double Setting(string key) => r.Settings is not null && r.Settings.TryGetValue(key, out double v) ? v
            : throw new InvalidDataException($"{path}: the {r.Type} layer '{r.Name}' has no setting \"{key}\".");
        T Required<T>(T? value, string what) where T : class => value
            ?? throw new InvalidDataException($"{path}: the {r.Type} layer '{r.Name}' has no {what}.");
        nn.Module<Tensor, Tensor> layer = r.Type switch
        {
            nameof(BayesLinear) => BayesNN.BayesLinear(s[0], s[1], r.Options),
            nameof(BayesConv2d) => BayesNN.BayesConv2d(s[0], s[1], s[2], s[3], s[4], s[5], r.Options),
            nameof(MultivariateBayesLinear) => BayesNN.MultivariateBayesLinear(s[0], s[1], Required(r.Multivariate, "Multivariate options")),
            nameof(VariationalConcreteDropout) => BayesNN.VariationalConcreteDropout(Build(Required(r.Inner, "wrapped layer"), path),
                Setting("LengthScale"), Required(r.Concrete, "Concrete options").InitialP),
            nameof(ConcreteDropout) => BayesNN.ConcreteDropout(Build(Required(r.Inner, "wrapped layer"), path), Required(r.Concrete, "Concrete options")),
            nameof(MCDropout) => BayesNN.MCDropout(Setting("P"), r.Name ?? nameof(MCDropout)),
            nameof(MCSpatialDropout) => BayesNN.MCSpatialDropout(Setting("P"), r.Name ?? nameof(MCSpatialDropout)),
            nameof(Dropout) => nn.Dropout(Setting("P")),
            nameof(Linear) => nn.Linear(s[0], s[1], hasBias: s[2] == 1),
            nameof(Conv2d) => nn.Conv2d(s[0], s[1], s[2], stride: s[3], padding: s[4], dilation: s[5], bias: s[6] == 1),
            nameof(Softplus) => nn.Softplus(Setting("Beta"), Setting("Threshold")),
            nameof(ELU) => nn.ELU(Setting("Alpha")),
            nameof(GELU) => nn.GELU(Setting("Tanh") == 1 ? GELU.Approximate.tanh : GELU.Approximate.none),
            nameof(Softmax) => nn.Softmax(s[0]),
            // Version 1 wrote Flatten without sizes: TorchSharp's defaults (1, -1).
            nameof(Flatten) => s.Length == 2 ? nn.Flatten(s[0], s[1]) : nn.Flatten(),
            nameof(ReLU) => nn.ReLU(),
            nameof(Tanh) => nn.Tanh(),
            nameof(Sigmoid) => nn.Sigmoid(),
            _ => throw new InvalidDataException($"{path}: unknown layer type \"{r.Type}\" in the model file."),
        };
        if (r.MonteCarlo is bool monteCarlo && layer is IMonteCarloLayer mc) mc.MonteCarlo = monteCarlo;
        return layer;
    }
}
