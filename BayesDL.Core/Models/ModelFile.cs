using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.IO;
using BayesDL.Layers;
using BayesDL.Mcmc;
using BayesDL.Networks;
using BayesDL.Objectives;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Swag;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// Saves and loads a <see cref="BayesianNetwork"/>, a <see cref="DeepEnsemble"/>, a <see cref="Vae"/>, or a Laplace, SWAG or SG-MCMC
/// posterior whole.
/// A network: the architecture
/// (each layer under its name in the body, so the
/// state-dict keys match, e.g. the <c>mc_dropout_k</c> layers <see cref="MCDropoutConverter"/> inserts), each layer's
/// settings (estimator, prior and initialisation of Bayesian layers; rank and prior of <see cref="MultivariateBayesLinear"/>;
/// temperature, regularizers and length-scale of concrete dropout; dropout rates; whether a Monte Carlo layer samples in
/// evaluation mode), the likelihood (with learned noise), and every parameter (posterior mu, rho, low-rank factor or
/// Cholesky factor, learned dropout logits). Format version 3: the checksummed frame of <see cref="SealedFile"/> (magic
/// "BAYESDL-BNN") around a JSON description and the state dict (<see cref="NamedTensors"/>, TorchSharp's layout). Writes go
/// to a temporary file in the same folder that is renamed over the target, so a crash never leaves a half-written model.
/// Format version 4 adds the description's <c>Kind</c> (<see cref="ModelFileKind"/>) and two records in the same frame: a deep
/// ensemble (<see cref="SaveEnsemble"/>: the members' common layers, their count M and the likelihood; member m's weights under
/// "m.", the likelihood's under "likelihood.") and a VAE (<see cref="SaveVae"/>: the encoder's and decoder's layers, the encoder's
/// width, the data, latent and condition widths, the decoder likelihood; the VAE's state dict, Gaussian head included). Networks
/// are still written as version 3 (no kind: a network), so an older BayesDL reads them; it refuses an ensemble or a VAE as a file
/// of a newer version. <see cref="KindOf"/> tells which a file holds.
/// Format version 5 adds the standardisation of a regression model trained on standardised data (<see cref="Standardization"/>:
/// the training rows' input means and standard deviations and the target's, in the description's <c>Scaling</c>, a record with its
/// own version); only files that carry one are written as version 5 (with a kind), so an older BayesDL refuses them instead of
/// predicting on the wrong scale, and <see cref="StandardizationOf"/> reads it back.
/// Format version 6 adds the SWAG and SG-MCMC posteriors (<see cref="SaveSwag"/>, <see cref="SaveSgmcmc"/>): the layers their
/// network's functional form was built from, its input shape and default prior, the likelihood, and the Gaussian's statistics or the
/// kept draws; only these kinds are written as version 6, so an older BayesDL refuses them as files of a newer version.
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
    // Version 4 adds the kind, with ensembles and VAEs; version 5 the standardisation; version 6 the SWAG and SG-MCMC posteriors.
    // Networks are written as version 3 without a standardisation, the other kinds of version 4 as version 4 (5 with one).
    const int KindVersion = 4;
    const int ScalingFileVersion = 5;
    const int PosteriorVersion = 6;
    const int Version = 6;
    const int ScalingVersion = 1;
    const int NetworkVersion = 3;
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
    static string SupportedModules => LayerKinds.Supported +
        " (ConcreteDropout and VariationalConcreteDropout around a Linear or Conv2d; Conv2d with a square kernel, groups 1)";

    /// <summary>
    /// The description at the start of the body. Kind null (versions 1 to 3) is a network. A network and an ensemble use
    /// <paramref name="Layers"/> (an ensemble's members all have them) and <paramref name="Likelihood"/>; a VAE uses <see cref="Vae"/>.
    /// </summary>
    internal sealed record NetworkRecord(int Version, List<LayerRecord>? Layers, LikelihoodSpec? Likelihood)
    {
        public ModelFileKind? Kind { get; init; }
        public int? Members { get; init; }
        public VaeRecord? Vae { get; init; }
        public LaplaceRecord? Laplace { get; init; }
        public SwagRecord? Swag { get; init; }
        public SgmcmcRecord? Sgmcmc { get; init; }
        public ScalingRecord? Scaling { get; init; }
    }

    /// <summary>
    /// A SWAG posterior (format version 6) beside its network's layers and likelihood: the per-example input shape and default prior
    /// its functional form was built with, the snapshots n averaged, the rank K and the seed of its draws.
    /// </summary>
    internal sealed record SwagRecord(long[]? InputShape, PriorSpec? DefaultPrior, int Snapshots, int Rank, long Seed);

    /// <summary>
    /// An SG-MCMC posterior (format version 6) beside its network's layers and likelihood: the per-example input shape and default
    /// prior of its functional form, the sampler's settings, the chains and the cycle of each kept draw (their number is the draws
    /// per chain).
    /// </summary>
    internal sealed record SgmcmcRecord(long[]? InputShape, PriorSpec? DefaultPrior, SgmcmcOptions? Options, int Chains, int[]? Cycles);

    /// <summary>The standardisation the model's inputs and targets went through (format version 5), versioned on its own.</summary>
    internal sealed record ScalingRecord(int Version, double[]? InputMean, double[]? InputScale, double TargetMean, double TargetScale);

    /// <summary>A VAE: its two networks' layers, the head's input width, the data, latent and condition widths and p(x | z).</summary>
    internal sealed record VaeRecord(List<LayerRecord>? Encoder, List<LayerRecord>? Decoder, long EncoderFeatures, long DataFeatures,
        long LatentDim,
                                     long ConditionFeatures, DecoderRecord? Likelihood);

    /// <summary>A decoder likelihood: Bernoulli, Gaussian (fixed or learned scale) or Categorical (grey levels).</summary>
    internal sealed record DecoderRecord(string? Type, double? FixedScale = null, double? MinLogScale = null, int? Levels = null);

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically, with the <paramref name="scaling"/> its inputs and targets were
    /// standardised by in training, if any (then as format version 5). Throws <see cref="ArgumentException"/> naming the layer when
    /// the body holds a module that is not supported (see the class remarks; nothing is written then).
    /// </summary>
    public static void Save(BayesianNetwork model, string path, Standardization? scaling = null)
    {
        var layers = Layers(model.Body, "model");
        var record = Scaled(new NetworkRecord(NetworkVersion, layers, model.Likelihood.Describe()), ModelFileKind.Network, scaling);
        Write(path, record, model.state_dict().Select(e => (e.Key, e.Value)).ToList());
    }

    /// <summary>The record with the standardisation, as format version 5 with its kind; unchanged without one.</summary>
    static NetworkRecord Scaled(NetworkRecord record, ModelFileKind kind, Standardization? scaling) => scaling is null ? record
        : record with
        {
            Version = Math.Max(record.Version, ScalingFileVersion),
            Kind = kind,
            Scaling = new ScalingRecord(ScalingVersion, scaling.InputMean.ToArray(), scaling.InputScale.ToArray(), scaling.TargetMean,
                scaling.TargetScale)
        };

    /// <summary>
    /// Writes a deep ensemble to <paramref name="path"/> atomically (format version 4): the members' layers (each member a
    /// <c>Sequential</c> of supported layers, all declared alike, as <see cref="Builders.EnsembleBuilding.BuildEnsemble"/> makes them),
    /// the number of members, the likelihood and every member's weights. Throws <see cref="ArgumentException"/> naming the member and
    /// layer otherwise (nothing is written then). With <paramref name="scaling"/>, the standardisation of the members' training data
    /// is kept too (format version 5).
    /// </summary>
    public static void SaveEnsemble(DeepEnsemble ensemble, string path, Standardization? scaling = null)
    {
        var members = ensemble.Members;
        var layers = Layers(members[0], "ensemble member 0");
        string declared = JsonSerializer.Serialize(layers, Json);
        for (int m = 1; m < members.Count; m++)
            if (JsonSerializer.Serialize(Layers(members[m], $"ensemble member {m}"), Json) != declared)
                throw Check.Error(nameof(ModelFile), "ensemble", $"member {m} declared unlike member 0",
                    "members of the same declared layers",
                    "Build the members from one declaration (SequentialBuilder.BuildEnsemble or FitEnsemble).");
        var tensors = members.SelectMany((member, m) => member.state_dict().Select(e => ($"{m}.{e.Key}", e.Value)))
            .Concat(LikelihoodTensors(ensemble.Likelihood)).ToList();
        Write(path, Scaled(new NetworkRecord(KindVersion, layers, ensemble.Likelihood.Describe())
        {
            Kind = ModelFileKind.Ensemble,
            Members = members.Count
        }, ModelFileKind.Ensemble, scaling), tensors);
    }

    /// <summary>
    /// Writes a VAE to <paramref name="path"/> atomically (format version 4): the encoder's and decoder's layers (each a
    /// <c>Sequential</c> of supported layers, as <see cref="Builders.VaeBuilder.Build"/> makes them), the widths, the decoder likelihood
    /// and the weights (head included). Throws <see cref="ArgumentException"/> for another network, a decoder likelihood other than
    /// Bernoulli, Gaussian or Categorical, or a prior other than the default N(0, I), which a file cannot describe (nothing is written
    /// then).
    /// </summary>
    public static void SaveVae(Vae vae, string path)
    {
        Check.Argument(vae.HasDefaultPrior, nameof(ModelFile), "vae", "a VAE with a custom prior p(z)",
            "a VAE with the default prior N(0, I)",
            "A model file cannot describe an arbitrary prior; save the weights with TorchSharp's Module.save " +
            "and rebuild the VAE with its prior.");
        var record = new VaeRecord(Layers(vae.Encoder, "VAE encoder"), Layers(vae.Decoder, "VAE decoder"), vae.EncoderFeatures,
            vae.DataFeatures,
            vae.LatentDim, vae.ConditionFeatures, Describe(vae.Likelihood));
        Write(path, new NetworkRecord(KindVersion, null, null) { Kind = ModelFileKind.Vae, Vae = record },
            vae.state_dict().Select(e => (e.Key, e.Value)).ToList());
    }

    /// <summary>
    /// Writes a Laplace posterior to <paramref name="path"/> atomically (format version 4): the network's layers (a <c>Sequential</c> of
    /// supported layers), the likelihood, the posterior's options, prior precision, noise and evidence terms, the network's weights under
    /// "network." and the Hessian's tensors under "laplace.". With <paramref name="scaling"/>, the standardisation of the network's
    /// training data is kept too (format version 5).
    /// </summary>
    public static void SaveLaplace(LaplacePosterior posterior, string path, Standardization? scaling = null)
    {
        var layers = Layers(posterior.Network, "Laplace posterior's network");
        var record = posterior.Describe();
        var likelihood = record.Likelihood == LikelihoodKind.Gaussian
            ? new LikelihoodSpec(LikelihoodKind.Gaussian, GaussianNoise.Fixed, record.NoiseSigma ?? 1)
            : new LikelihoodSpec(record.Likelihood);
        var tensors = posterior.Network.state_dict().Select(e => ($"network.{e.Key}", e.Value))
            .Concat(posterior.HessianState.Select(e => ($"laplace.{e.Name}", e.Value))).ToList();
        Write(path, Scaled(new NetworkRecord(KindVersion, layers, likelihood) { Kind = ModelFileKind.Laplace, Laplace = record },
            ModelFileKind.Laplace, scaling), tensors);
    }

    /// <summary>
    /// Reads a Laplace posterior written by <see cref="SaveLaplace"/>, its network in evaluation mode, placed by <paramref name="policy"/>
    /// (default policy if null). Throws <see cref="FileFormatException"/> naming the file for every file that is not a valid Laplace file.
    /// </summary>
    public static LaplacePosterior LoadLaplace(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var (reader, record) = Open(path, ModelFileKind.Laplace);
        if (record.Layers is null || record.Laplace is not LaplaceRecord laplace)
            throw reader.Error("a Laplace description with its network's layers and the posterior's settings",
                "a description without them");
        var layers = record.Layers.Select((r, i) => (r.Name ?? i.ToString(), Build(r, reader))).ToArray();
        TorchSharp.Modules.Sequential? network = null;
        try
        {
            network = policy.Apply(nn.Sequential(layers));
            network.eval();
            var (targets, complete) = Described(reader, "the Laplace posterior",
                () => LaplacePosterior.Restore(network, laplace, policy.Device));
            ReadWeights(reader, network.state_dict().Select(e => ($"network.{e.Key}", e.Value))
                .Concat(targets.Select(e => ($"laplace.{e.Name}", e.Value))).ToList());
            return complete();
        }
        catch
        {
            if (network is not null) network.Dispose();
            else foreach (var (_, layer) in layers) layer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes a SWAG posterior to <paramref name="path"/> atomically (format version 6): its network's layers (as
    /// <see cref="FunctionalNetwork.From"/> was given them: a module of supported layers, as <see cref="Builders.PosteriorFitting"/>
    /// makes it), the per-example input shape and default prior, the likelihood, the snapshots n, the rank K and the seed of the draws,
    /// and the Gaussian's float64 tensors θ_SWA [D] under "swag.mean", Σ_diag [D] under "swag.variance" and D̂ᵀ [K, D] under
    /// "swag.deviations" (the network's own weights are the draws, so none are stored). With <paramref name="scaling"/>, the
    /// standardisation of the training data is kept too. Throws <see cref="ArgumentException"/> when the network cannot be described
    /// (nothing is written then).
    /// </summary>
    public static void SaveSwag(SwagPosterior posterior, string path, Standardization? scaling = null)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        var (layers, prior) = Functional(posterior.Network, "SWAG posterior's network");
        var g = posterior.Gaussian;
        var record = new SwagRecord([.. posterior.Network.InputShape], prior, g.Snapshots, g.Rank, posterior.Seed);
        var tensors = new List<(string, Tensor)> { ("swag.mean", g.Mean), ("swag.variance", g.Variance), ("swag.deviations", g.Deviations) }
            .Concat(LikelihoodTensors(posterior.Likelihood)).ToList();
        Write(path, Scaled(new NetworkRecord(PosteriorVersion, layers, posterior.Likelihood.Describe())
        {
            Kind = ModelFileKind.Swag,
            Swag = record
        }, ModelFileKind.Swag, scaling), tensors);
    }

    /// <summary>
    /// Reads a SWAG posterior written by <see cref="SaveSwag"/>, its Gaussian placed by <paramref name="policy"/>'s device (default
    /// policy if null; the statistics stay float64, predictions take the inputs' dtype), predicting with the draws of the saved seed.
    /// Throws <see cref="FileFormatException"/> naming the file for every file that is not a valid SWAG file.
    /// </summary>
    public static SwagPosterior LoadSwag(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var (reader, record) = Open(path, ModelFileKind.Swag);
        if (record.Layers is null || record.Likelihood is null || record.Swag is not { InputShape: not null, DefaultPrior: not null } swag)
            throw reader.Error("a SWAG description with its network's layers, input shape, prior, likelihood and the Gaussian's settings",
                "a description without them");
        var network = Rebuild(reader, record.Layers, swag.InputShape, swag.DefaultPrior, "the SWAG posterior's network", policy);
        long d = network.Dimension;
        if (swag.Snapshots < 1 || swag.Rank < 2 || (2.0 + swag.Rank) * d > reader.Remaining)
            throw reader.Error($"a SWAG Gaussian of n >= 1 snapshots and rank K >= 2 whose [{d}] statistics and [K, {d}] deviations fit " +
                $"in the file's {reader.Remaining} bytes", $"{swag.Snapshots} snapshots, rank {swag.Rank}");
        var likelihood = policy.Apply(Described(reader, "the likelihood", () => Likelihood.FromSpec(record.Likelihood)));
        Tensor mean = zeros([d], ScalarType.Float64, policy.Device), variance = zeros([d], ScalarType.Float64, policy.Device);
        Tensor deviations = zeros([swag.Rank, d], ScalarType.Float64, policy.Device);
        try
        {
            ReadWeights(reader, new List<(string, Tensor)>
                {
                    ("swag.mean", mean), ("swag.variance", variance), ("swag.deviations", deviations)
                }.Concat(LikelihoodTensors(likelihood)).ToList());
            bool negative;
            using (var below = variance.lt(0)) using (var any = below.any()) negative = any.item<bool>();
            if (negative)
                throw reader.Error("a SWAG variance >= 0 for every weight", "a negative variance in 'swag.variance'");
            return new SwagPosterior(network, likelihood, new SwagGaussian(mean, variance, deviations, swag.Snapshots), swag.Seed);
        }
        catch
        {
            mean.Dispose(); variance.Dispose(); deviations.Dispose();
            likelihood.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes an SG-MCMC posterior to <paramref name="path"/> atomically (format version 6): its network's layers, input shape and
    /// default prior (as for <see cref="SaveSwag"/>), the likelihood, the sampler's settings (<see cref="SgmcmcOptions"/>), the chains
    /// and every kept draw's cycle, and the draws θ_{c,t} as one float32 tensor [chains, draws, D] under "sgmcmc.draws" (the
    /// <see cref="SampleStore"/> keeps them as float32). With <paramref name="scaling"/>, the standardisation of the training data is kept
    /// too. Throws <see cref="ArgumentException"/> when the posterior has no kept draw or its network cannot be described (nothing is
    /// written then).
    /// </summary>
    public static void SaveSgmcmc(SgmcmcPosterior posterior, string path, Standardization? scaling = null)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        var store = posterior.Store;
        Check.Argument(store.DrawsPerChain > 0, nameof(ModelFile), "posterior", "an SG-MCMC posterior without kept draws",
            "at least one kept draw per chain", "Run more epochs after the burn-in, or lower Thinning.");
        var (layers, prior) = Functional(posterior.Network, "SG-MCMC posterior's network");
        var record = new SgmcmcRecord([.. posterior.Network.InputShape], prior, posterior.Options, store.ChainCount, [.. store.Cycles]);
        var all = Enumerable.Range(0, store.ChainCount).SelectMany(c => Enumerable.Range(0, store.DrawsPerChain).Select(t => (c, t)))
            .ToList();
        using var draws = store.ToTensor(all, ScalarType.Float32, CPU).reshape(store.ChainCount, store.DrawsPerChain, store.Dimension);
        var tensors = new List<(string, Tensor)> { ("sgmcmc.draws", draws) }
            .Concat(LikelihoodTensors(posterior.Likelihood)).ToList();
        Write(path, Scaled(new NetworkRecord(PosteriorVersion, layers, posterior.Likelihood.Describe())
        {
            Kind = ModelFileKind.Sgmcmc,
            Sgmcmc = record
        }, ModelFileKind.Sgmcmc, scaling), tensors);
    }

    /// <summary>
    /// Reads an SG-MCMC posterior written by <see cref="SaveSgmcmc"/>: the same draws (float32, in managed memory as the sampler kept
    /// them), its likelihood placed by <paramref name="policy"/> (default policy if null; predictions take the inputs' dtype and
    /// device). Throws <see cref="FileFormatException"/> naming the file for every file that is not a valid SG-MCMC file.
    /// </summary>
    public static SgmcmcPosterior LoadSgmcmc(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var (reader, record) = Open(path, ModelFileKind.Sgmcmc);
        if (record.Layers is null || record.Likelihood is null
            || record.Sgmcmc is not { InputShape: not null, DefaultPrior: not null, Options: not null, Cycles: not null } sg)
            throw reader.Error("an SG-MCMC description with its network's layers, input shape, prior, likelihood, the sampler's " +
                "settings and the draws' cycles", "a description without them");
        Described(reader, "the sampler's settings", () => { sg.Options.Validate(); return true; });
        var network = Rebuild(reader, record.Layers, sg.InputShape, sg.DefaultPrior, "the SG-MCMC posterior's network", policy);
        long d = network.Dimension;
        int chains = sg.Chains, count = sg.Cycles.Length;
        if (chains < 1 || count < 1 || sg.Cycles.Any(c => c < 0) || 4.0 * chains * count * d > reader.Remaining)
            throw reader.Error($"at least one chain and one kept draw (each cycle >= 0) whose [chains, draws, {d}] float32 values fit in " +
                $"the file's {reader.Remaining} bytes", $"{chains} chains of {count} draws");
        var likelihood = policy.Apply(Described(reader, "the likelihood", () => Likelihood.FromSpec(record.Likelihood)));
        try
        {
            using var draws = zeros([chains, count, d], ScalarType.Float32);
            ReadWeights(reader, new List<(string, Tensor)> { ("sgmcmc.draws", draws) }
                .Concat(LikelihoodTensors(likelihood)).ToList());
            var store = new SampleStore(chains, (int)d);
            for (int t = 0; t < count; t++)
            {
                using var scope = NewDisposeScope();
                store.Add(draws.select(1, t), sg.Cycles[t]);
            }
            return new SgmcmcPosterior(network, likelihood, store, sg.Options);
        }
        catch
        {
            likelihood.Dispose();
            throw;
        }
    }

    /// <summary>A likelihood's learned tensors under the names a model file stores them by ("likelihood." + key).</summary>
    static IEnumerable<(string, Tensor)> LikelihoodTensors(Likelihood likelihood) =>
        likelihood.state_dict().Select(e => ($"likelihood.{e.Key}", e.Value));

    /// <summary>The layer records and default prior a <see cref="FunctionalNetwork"/> was built from; throws when it has none.</summary>
    static (List<LayerRecord> Layers, PriorSpec Prior) Functional(FunctionalNetwork network, string what) =>
        network.Layers is { } layers && network.DefaultPrior is { } prior
            ? ([.. layers], prior)
            : throw Check.Error(nameof(ModelFile), "posterior", $"the {what}, built from a module a model file cannot describe",
                "a network of " + SupportedModules, "Declare the network with the builders (SequentialBuilder).");

    /// <summary>
    /// The functional form of the layers <paramref name="records"/> (modules built, placed by <paramref name="policy"/>, read and
    /// disposed): what <see cref="FunctionalNetwork.From"/> gave the saved posterior.
    /// </summary>
    static FunctionalNetwork Rebuild(FileReader reader, List<LayerRecord> records, long[] inputShape, PriorSpec prior, string what,
        ComputePolicy policy)
    {
        if (inputShape.Length == 0 || inputShape.Any(n => n < 1))
            throw reader.Error($"a per-example input shape of positive sizes for {what}", Check.Shape(inputShape));
        var layers = records.Select((r, i) => (r.Name ?? i.ToString(), Build(r, reader))).ToArray();
        TorchSharp.Modules.Sequential? network = null;
        try
        {
            network = policy.Apply(nn.Sequential(layers));
            var body = network;
            return Described(reader, what, () => FunctionalNetwork.From(body, inputShape, prior));
        }
        finally
        {
            if (network is not null) network.Dispose();
            else foreach (var (_, layer) in layers) layer.Dispose();
        }
    }

    /// <summary>
    /// Reads a model written by <see cref="Save"/> (format version 1, 2 or 3), placed by <paramref name="policy"/> (default policy if
    /// null). Throws <see cref="FileFormatException"/> naming the file for every file that is not a valid model file of one network
    /// (an ensemble's or a VAE's file names the method that reads it).
    /// </summary>
    public static BayesianNetwork Load(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var (reader, record) = Open(path, ModelFileKind.Network);
        if (record.Layers is null || record.Likelihood is null)
            throw reader.Error("a model description with its layers (type and sizes) and likelihood", "a description without them");
        // Version 1 named the body's layers by position, as nn.Sequential does.
        var layers = record.Layers.Select((r, i) => (r.Name ?? i.ToString(), Build(r, reader))).ToArray();
        BayesianNetwork? model = null;
        try
        {
            model = BayesianNetwork.Create(nn.Sequential(layers), Described(reader, "the likelihood",
                () => Likelihood.FromSpec(record.Likelihood)));
            policy.Apply(model);
            ReadWeights(reader, model.state_dict().Select(e => (e.Key, e.Value)).ToList());
            return model;
        }
        catch
        {
            if (model is not null) model.Dispose();
            else foreach (var (_, layer) in layers) layer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a deep ensemble written by <see cref="SaveEnsemble"/>, its members in evaluation mode, placed by <paramref name="policy"/>
    /// (default policy if null). Throws <see cref="FileFormatException"/> naming the file for every file that is not a valid ensemble file.
    /// </summary>
    public static DeepEnsemble LoadEnsemble(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var (reader, record) = Open(path, ModelFileKind.Ensemble);
        if (record.Layers is null || record.Likelihood is null || record.Members is not int count)
            throw reader.Error("an ensemble description with its layers (type and sizes), number of members and likelihood",
                "a description without them");
        // Refuse a member count the weights cannot fill before building that many networks.
        long perMember = record.Layers.Sum(r => Math.Max(0, LayerKinds.Named(r.Type)?.Weights(r) ?? 0));
        if (count < 1 || perMember < 1 || (double)count * perMember > reader.Remaining)
            throw reader.Error($"an ensemble of at least one member with weights, whose weights fit in the file's {reader.Remaining} bytes",
                $"{count} members of {perMember} weights each");
        var members = new List<nn.Module<Tensor, Tensor>>();
        Likelihood? likelihood = null;
        try
        {
            for (int m = 0; m < count; m++)
                members.Add(policy.Apply(nn.Sequential(record.Layers.Select((r, i) => (r.Name ?? i.ToString(),
                    Build(r, reader))).ToArray())));
            likelihood = policy.Apply(Described(reader, "the likelihood", () => Likelihood.FromSpec(record.Likelihood)));
            ReadWeights(reader, members.SelectMany((member, m) => member.state_dict().Select(e => ($"{m}.{e.Key}", e.Value)))
                .Concat(LikelihoodTensors(likelihood)).ToList());
            foreach (var member in members) member.eval();
            return new DeepEnsemble(members, likelihood);
        }
        catch
        {
            foreach (var member in members) member.Dispose();
            likelihood?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a VAE written by <see cref="SaveVae"/>, in evaluation mode, placed by <paramref name="policy"/> (default policy if null).
    /// Throws <see cref="FileFormatException"/> naming the file for every file that is not a valid VAE file (including networks whose
    /// widths do not chain: the encoder must map the data to the head's width, the decoder z to the likelihood's parameters).
    /// </summary>
    public static Vae LoadVae(string path, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        var (reader, record) = Open(path, ModelFileKind.Vae);
        var v = record.Vae;
        if (v?.Encoder is null || v.Decoder is null || v.Likelihood is null)
            throw reader.Error("a VAE description with its encoder, decoder and decoder likelihood", "a description without them");
        if (v.EncoderFeatures < 1 || v.LatentDim < 1 || v.DataFeatures < 1 || v.ConditionFeatures < 0
            || 2.0 * (v.EncoderFeatures + 1) * v.LatentDim > reader.Remaining)
            throw reader.Error(
                $"positive widths (condition width >= 0) whose Gaussian head fits in the file's {reader.Remaining} bytes of weights",
                $"encoder width {v.EncoderFeatures}, latent {v.LatentDim}, data {v.DataFeatures}, condition {v.ConditionFeatures}");
        var likelihood = Described(reader, "the decoder likelihood", () => Decoder(v.Likelihood));
        TorchSharp.Modules.Sequential? encoder = null, decoder = null;
        Vae? vae = null;
        try
        {
            encoder = nn.Sequential(v.Encoder.Select((r, i) => (r.Name ?? i.ToString(), Build(r, reader))).ToArray());
            decoder = nn.Sequential(v.Decoder.Select((r, i) => (r.Name ?? i.ToString(), Build(r, reader))).ToArray());
            vae = Described(reader, "the VAE", () => new Vae(encoder, v.EncoderFeatures, decoder, likelihood, v.DataFeatures, v.LatentDim,
                v.ConditionFeatures));
            policy.Apply(vae);
            vae.eval();
            Described(reader, "the VAE's widths", () => Probe(vae, encoder, decoder));
            ReadWeights(reader, vae.state_dict().Select(e => (e.Key, e.Value)).ToList());
            return vae;
        }
        catch
        {
            if (vae is not null) vae.Dispose();
            else { encoder?.Dispose(); decoder?.Dispose(); }
            throw;
        }
    }

    /// <summary>
    /// What the model file at <paramref name="path"/> holds (a network for format versions 1 to 3), after checking its frame.
    /// Throws <see cref="FileFormatException"/> naming the file when it is not a model file.
    /// </summary>
    public static ModelFileKind KindOf(string path) => Open(path, null).Record.Kind ?? ModelFileKind.Network;

    /// <summary>
    /// The standardisation the model at <paramref name="path"/> was trained under (<see cref="Save"/> or <see cref="SaveEnsemble"/>
    /// with a scaling): its inputs go through <see cref="Standardization.Inputs"/> and its predictive means and variances back
    /// through <see cref="Standardization.TargetsToOriginal"/> and <see cref="Standardization.VariancesToOriginal"/>. Null when the
    /// file has none (every file before format version 5). Throws <see cref="FileFormatException"/> naming the file when it is not
    /// a model file or its standardisation is not valid.
    /// </summary>
    public static Standardization? StandardizationOf(string path)
    {
        var (reader, record) = Open(path, null);
        if (record.Scaling is not { } s) return null;
        if (s.Version != ScalingVersion)
            throw reader.Error($"a standardisation record of version {ScalingVersion}", $"version {s.Version}");
        return Described(reader, "the standardisation", () =>
            Standardization.Of(s.InputMean ?? throw new ArgumentException("no input means"),
                s.InputScale ?? throw new ArgumentException("no input scales"), s.TargetMean, s.TargetScale));
    }

    static void Write(string path, NetworkRecord record, IReadOnlyList<(string, Tensor)> tensors) =>
        SealedFile.Write(path, Magic, record.Version, writer =>
        {
            writer.Write(JsonSerializer.Serialize(record, Json));
            NamedTensors.Write(writer, tensors);
        });

    /// <summary>Opens the file and reads its description; with <paramref name="expected"/>, refuses a file of another kind.</summary>
    static (FileReader Reader, NetworkRecord Record) Open(string path, ModelFileKind? expected)
    {
        var opened = SealedFile.Open(path, What, [Magic], FirstSealedVersion, Version, out _);
        var reader = opened.Reader;
        var record = reader.Json<NetworkRecord>("the model description", Json);
        if (record.Version != opened.Version)
            throw reader.Error($"format version {opened.Version} in the model description, as in the preamble",
                $"version {record.Version}");
        if (record.Version < OldestReadableVersion)
            throw reader.Error($"a {What} of format version {OldestReadableVersion} to {Version}", $"version {record.Version}");
        if (record.Version < KindVersion && record.Kind is not null)
            throw reader.Error($"no model kind in a file of format version {record.Version} (kinds came with version {KindVersion})",
                $"kind {record.Kind}");
        if (record.Version >= KindVersion && record.Kind is null)
        {
            string kinds = string.Join(", ", Enum.GetNames<ModelFileKind>());
            throw reader.Error($"the model kind (one of {kinds}) in a file of format version {record.Version}", "none");
        }
        if (record.Version < ScalingFileVersion && record.Scaling is not null)
            throw reader.Error(
                $"no standardisation in a file of format version {record.Version} (it came with version {ScalingFileVersion})", "one");
        if (record.Version < PosteriorVersion && record.Kind is ModelFileKind.Swag or ModelFileKind.Sgmcmc)
            throw reader.Error(
                $"no {record.Kind} posterior in a file of format version {record.Version} (it came with version {PosteriorVersion})",
                $"kind {record.Kind}");
        var kind = record.Kind ?? ModelFileKind.Network;
        if (expected is ModelFileKind want && kind != want)
            throw reader.Error($"a model file of {Name(want)}", $"a model file of {Name(kind)}: read it with ModelFile.{Reader(kind)}");
        var lists = new[] { record.Layers, record.Vae?.Encoder, record.Vae?.Decoder };
        if (lists.Any(list => list is not null && list.Any(l => l?.Type is null || l.Sizes is null)))
            throw reader.Error("a model description whose layers each have a type and sizes", "a layer without them");
        return (reader, record);
    }

    static string Name(ModelFileKind kind) => kind switch
    {
        ModelFileKind.Ensemble => "a deep ensemble",
        ModelFileKind.Vae => "a VAE",
        ModelFileKind.Laplace => "a Laplace posterior",
        ModelFileKind.Swag => "a SWAG posterior",
        ModelFileKind.Sgmcmc => "an SG-MCMC posterior",
        _ => "one network",
    };

    static string Reader(ModelFileKind kind) => kind switch
    {
        ModelFileKind.Ensemble => nameof(LoadEnsemble),
        ModelFileKind.Vae => nameof(LoadVae),
        ModelFileKind.Laplace => nameof(LoadLaplace),
        ModelFileKind.Swag => nameof(LoadSwag),
        ModelFileKind.Sgmcmc => nameof(LoadSgmcmc),
        _ => nameof(Load),
    };

    /// <summary>Reads the weights into <paramref name="targets"/> (checked whole before any is copied) and checks that the file ends
    /// there.</summary>
    static void ReadWeights(FileReader reader, IReadOnlyList<(string Name, Tensor Target)> targets)
    {
        var tensors = NamedTensors.Read(reader, targets, sameDType: false, "the model's weights");
        try
        {
            reader.End("the model's weights");
            using (no_grad())
                for (int i = 0; i < tensors.Length; i++) targets[i].Target.copy_(tensors[i]);
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    /// <summary>
    /// One zero row through the encoder and decoder: the encoder must give the head's width and the decoder the likelihood's
    /// parameters for every data feature; otherwise throws naming the widths.
    /// </summary>
    static bool Probe(Vae vae, nn.Module<Tensor, Tensor> encoder, nn.Module<Tensor, Tensor> decoder)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var like = vae.Head.LocLayer.parameters().First();
        long h = encoder.forward(zeros(new long[] { 1, vae.DataFeatures + vae.ConditionFeatures }, like.dtype, like.device)).shape[^1];
        long x = decoder.forward(zeros(new long[] { 1, vae.LatentDim + vae.ConditionFeatures }, like.dtype, like.device)).shape[^1];
        long want = vae.Likelihood.ParametersPerFeature * vae.DataFeatures;
        if (h != vae.EncoderFeatures || x != want)
            throw new ArgumentException(
                $"an encoder of output width {vae.EncoderFeatures} and a decoder of output width {want}; found {h} and {x}");
        return true;
    }

    static DecoderRecord Describe(DecoderLikelihood likelihood) => likelihood switch
    {
        BernoulliDecoder => new("Bernoulli"),
        GaussianDecoder g => new("Gaussian", g.FixedScale, g.MinLogScale),
        CategoricalDecoder c => new("Categorical", Levels: c.Levels),
        _ => throw Check.Error(nameof(ModelFile), "vae", $"the decoder likelihood {likelihood.Name}",
            "BernoulliDecoder, GaussianDecoder or CategoricalDecoder",
            "Use one of these, or save the weights with TorchSharp's Module.save."),
    };

    static DecoderLikelihood Decoder(DecoderRecord r) => r.Type switch
    {
        "Bernoulli" => new BernoulliDecoder(),
        "Gaussian" => new GaussianDecoder(r.FixedScale, r.MinLogScale ?? -5),
        "Categorical" => new CategoricalDecoder(
            r.Levels ?? throw new ArgumentException("a Categorical decoder without its number of levels")),
        _ => throw new ArgumentException($"the decoder likelihood \"{r.Type}\" (expected Bernoulli, Gaussian or Categorical)"),
    };

    /// <summary>The layer records of <paramref name="network"/>, a <c>Sequential</c>; <paramref name="what"/> names it in the error for
    /// another module.</summary>
    static List<LayerRecord> Layers(nn.Module network, string what)
    {
        if (network is not TorchSharp.Modules.Sequential)
            throw Check.Error(nameof(ModelFile), "model", $"the {what} of type {network.GetType().Name}",
                "a Sequential of " + SupportedModules,
                "Declare the network with the builders (SequentialBuilder), or save its parameters with TorchSharp's Module.save.");
        return network.named_children().Select(c => Describe(c.name, c.module)).ToList();
    }

    /// <summary>
    /// Runs <paramref name="make"/>; anything it throws is a <see cref="FileFormatException"/> about <paramref name="what"/>.
    /// </summary>
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
        var kind = LayerKinds.Named(r.Type) ?? throw reader.Error($"a layer type this BayesDL knows ({SupportedModules})",
            $"the layer type \"{r.Type}\"");
        // A description whose layers need more weights than the file holds bytes is corrupt: refuse it before allocating them.
        long weights = kind.Weights(r);
        if (weights < 0 || weights > reader.Remaining)
            throw reader.Error($"sizes of the {r.Type} layer '{name}' whose weights fit in the file's {reader.Remaining} bytes of weights",
                $"sizes [{string.Join(", ", r.Sizes)}]{(r.Multivariate is null ? "" : $" (rank {r.Multivariate.Rank})")}");
        var layer = Described(reader, $"the {r.Type} layer '{name}'", () =>
            kind.Load(new LayerReading(r, reader, inner => Build(inner, reader))));
        if (r.MonteCarlo is bool monteCarlo && layer is IMonteCarloLayer mc) mc.MonteCarlo = monteCarlo;
        return layer;
    }
}
