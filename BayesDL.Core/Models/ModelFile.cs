using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Objectives;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// Saves and loads a <see cref="BayesianNetwork"/> whole: the architecture, each Bayesian layer's estimator, prior
/// (family and parameters) and initialisation settings, the likelihood (with learned noise), and every posterior
/// parameter (mu, rho). Format: the magic "BAYESDL-BNN", a JSON description, then TorchSharp's state dict.
/// Writes go to a temporary file in the same folder that is renamed over the target, so a crash never leaves
/// a half-written model. Supported modules: BayesLinear, BayesConv2d, Linear, Conv2d (square), ReLU, Tanh, Sigmoid, Flatten.
/// </summary>
public static class ModelFile
{
    const string Magic = "BAYESDL-BNN";
    const int Version = 1;
    static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    internal sealed record LayerRecord(string Type, long[] Sizes, BayesLayerOptions? Options);
    internal sealed record NetworkRecord(int Version, List<LayerRecord> Layers, LikelihoodSpec Likelihood);

    /// <summary>Writes the model to <paramref name="path"/> atomically.</summary>
    public static void Save(BayesianNetwork model, string path)
    {
        var record = new NetworkRecord(Version, model.Body.children().Select(Describe).ToList(), model.Likelihood.Describe());
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new BinaryWriter(stream))
            {
                writer.Write(Magic);
                writer.Write(JsonSerializer.Serialize(record, Json));
                model.save(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/>, placed by <paramref name="policy"/> (default policy if null).</summary>
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
        if (record.Version != Version) throw new InvalidDataException($"{path}: model file version {record.Version}; this BayesDL reads version {Version}.");
        var layers = record.Layers.Select(Build).ToArray();
        var model = BayesianNetwork.Create(nn.Sequential(layers), Likelihood.FromSpec(record.Likelihood));
        policy.Apply(model);
        model.load(reader);
        return model;
    }

    static LayerRecord Describe(nn.Module m) => m switch
    {
        BayesLinear l => new(nameof(BayesLinear), new[] { l.InFeatures, l.OutFeatures }, l.Options),
        BayesConv2d c => new(nameof(BayesConv2d), new[] { c.InChannels, c.OutChannels, c.KernelSize, c.Stride, c.Padding, c.Dilation }, c.Options),
        Linear l => new(nameof(Linear), new[] { l.in_features, l.out_features, l.bias is null ? 0L : 1L }, null),
        Conv2d c when c.padding is not null && c.kernel_size.Distinct().Count() == 1 && c.groups == 1 => new(nameof(Conv2d),
            new[] { c.in_channels, c.out_channels, c.kernel_size[0], c.stride![0], c.padding![0], c.dilation![0], c.bias is null ? 0L : 1L }, null),
        ReLU or Tanh or Sigmoid or Flatten => new(m.GetType().Name, Array.Empty<long>(), null),
        _ => throw Check.Error(nameof(ModelFile), "model", $"a layer of type {m.GetType().Name}",
            "made of BayesLinear, BayesConv2d, Linear, Conv2d (square kernel, groups 1), ReLU, Tanh, Sigmoid and Flatten", null),
    };

    static nn.Module<Tensor, Tensor> Build(LayerRecord r)
    {
        long[] s = r.Sizes;
        return r.Type switch
        {
            nameof(BayesLinear) => BayesNN.BayesLinear(s[0], s[1], r.Options),
            nameof(BayesConv2d) => BayesNN.BayesConv2d(s[0], s[1], s[2], s[3], s[4], s[5], r.Options),
            nameof(Linear) => nn.Linear(s[0], s[1], hasBias: s[2] == 1),
            nameof(Conv2d) => nn.Conv2d(s[0], s[1], s[2], stride: s[3], padding: s[4], dilation: s[5], bias: s[6] == 1),
            nameof(ReLU) => nn.ReLU(),
            nameof(Tanh) => nn.Tanh(),
            nameof(Sigmoid) => nn.Sigmoid(),
            nameof(Flatten) => nn.Flatten(),
            _ => throw new InvalidDataException($"Unknown layer type \"{r.Type}\" in the model file."),
        };
    }
}
