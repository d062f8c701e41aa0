using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.Engine;
using BayesDL.IO;
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
/// Cholesky factor, learned dropout logits). Format version 3: the checksummed frame of <see cref="SealedFile"/> (magic
/// "BAYESDL-BNN") around a JSON description and the state dict (<see cref="NamedTensors"/>, TorchSharp's layout). Writes go
/// to a temporary file in the same folder that is renamed over the target, so a crash never leaves a half-written model.
/// Files of versions 1 and 2 (the magic, the JSON description and the state dict, without checksum; version 1 numbers the
/// layers 0, 1, ... and has no per-type settings) still load. Every problem with a file (missing, truncated, corrupt, of
/// a newer version, a description that does not parse, weights of another architecture, NaN or infinite weights) is a
/// <see cref="FileFormatException"/> naming the file, what was expected and what was found.
/// Supported modules: BayesLinear, BayesConv2d, MultivariateBayesLinear, ConcreteDropout and VariationalConcreteDropout (around a
/// Linear or square Conv2d), MCDropout, MCSpatialDropout, Dropout, Linear, Conv2d (square), ReLU, Tanh, Sigmoid, Softplus, ELU,
/// GELU, Softmax, Flatten: every layer the builders and the F# DSL declare.
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

    // The weights a layer description implies (in x out, times the kernel area for convolutions; a multivariate layer also
    // holds its covariance factor, d x rank or d x d at full rank), or -1 when its sizes are missing, negative or overflow.
    static long Weights(LayerRecord r)
    {
        long[] s = r.Sizes;
        switch (r.Type)
        {
            case nameof(BayesLinear) or nameof(Linear):
                return Product(s, 2);
            case nameof(BayesConv2d) or nameof(Conv2d):
                return s.Length < 3 ? -1 : Product([s[0], s[1], s[2], s[2]], 4);
            case nameof(MultivariateBayesLinear):
                long d = Product(s, 2);
                return d < 0 ? -1 : Product([d, r.Multivariate is { Rank: > 0 } m ? m.Rank : d], 2);
            default:
                return 0;
        }
    }

    static long Product(long[] sizes, int n)
    {
        if (sizes.Length < n) return -1;
        long p = 1;
        for (int i = 0; i < n; i++)
        {
            if (sizes[i] < 0) return -1;
            try { p = checked(p * sizes[i]); } catch (OverflowException) { return -1; }
        }
        return p;
    }

    static nn.Module<Tensor, Tensor> Build(LayerRecord r, FileReader reader)
    {
        string name = r.Name ?? r.Type;
        // A description whose layers need more weights than the file holds bytes is corrupt: refuse it before allocating them.
        long weights = Weights(r);
        if (weights < 0 || weights > reader.Remaining)
            throw reader.Error($"sizes of the {r.Type} layer '{name}' whose weights fit in the file's {reader.Remaining} bytes of weights",
                $"sizes [{string.Join(", ", r.Sizes)}]{(r.Multivariate is null ? "" : $" (rank {r.Multivariate.Rank})")}");
        return Described(reader, $"the {r.Type} layer '{name}'", () => Make(r, reader));
    }

    static nn.Module<Tensor, Tensor> Make(LayerRecord r, FileReader reader)
    {
        long[] s = r.Sizes;
        double Setting(string key) => r.Settings is not null && r.Settings.TryGetValue(key, out double v) ? v
            : throw reader.Error($"the setting \"{key}\" of the {r.Type} layer '{r.Name}'", "no such setting");
        T Required<T>(T? value, string what) where T : class => value
            ?? throw reader.Error($"the {what} of the {r.Type} layer '{r.Name}'", "none");
        nn.Module<Tensor, Tensor> layer = r.Type switch
        {
            nameof(BayesLinear) => BayesNN.BayesLinear(s[0], s[1], r.Options),
            nameof(BayesConv2d) => BayesNN.BayesConv2d(s[0], s[1], s[2], s[3], s[4], s[5], r.Options),
            nameof(MultivariateBayesLinear) => BayesNN.MultivariateBayesLinear(s[0], s[1], Required(r.Multivariate, "Multivariate options")),
            nameof(VariationalConcreteDropout) => BayesNN.VariationalConcreteDropout(Build(Required(r.Inner, "wrapped layer"), reader),
                Setting("LengthScale"), Required(r.Concrete, "Concrete options").InitialP),
            nameof(ConcreteDropout) => BayesNN.ConcreteDropout(Build(Required(r.Inner, "wrapped layer"), reader), Required(r.Concrete, "Concrete options")),
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
            _ => throw reader.Error($"a layer type this BayesDL knows ({SupportedModules})", $"the layer type \"{r.Type}\""),
        };
        if (r.MonteCarlo is bool monteCarlo && layer is IMonteCarloLayer mc) mc.MonteCarlo = monteCarlo;
        return layer;
    }
}
