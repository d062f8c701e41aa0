using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using BayesDL.Networks;

namespace BayesDL.Cli.Training;

/// <summary>
/// What <c>bayesdl train</c> fits, read from the command line or from a JSON config file (<c>--config FILE.json</c>) holding the
/// same fields; an option given on the command line overrides the file's value. One record, validated once
/// (<see cref="Validate"/>), so both sources give the same errors.
/// <code>
/// { "method": "vi", "task": "classification", "network": "784-400-400-10", "activation": "relu", "dropout": 0,
///   "members": 5, "epochs": 10, "batchSize": 128, "learningRate": 0.001, "seed": 2026, "tune": false, "weightInit": "torch" }
/// </code>
/// </summary>
/// <param name="Method">
/// vi (Bayes by Backprop), mcdropout, ensemble, vae, laplace (a maximum-likelihood network made Bayesian post hoc by a
/// last-layer Kronecker-factored Laplace approximation with the evidence-tuned prior), swag or sgmcmc (a maximum-likelihood network,
/// then SWAG snapshots or SG-MCMC draws over the last quarter of the epochs).
/// </param>
/// <param name="Task">classification or regression (CSV data; IDX data are classification).</param>
/// <param name="Network">
/// The layer widths, input first, e.g. 784-400-400-10; for vae the encoder's widths ending in the latent size (784-400-20), the
/// decoder mirrors them.
/// </param>
/// <param name="Activation">The activation between weight layers.</param>
/// <param name="Dropout">The dropout rate p of mcdropout (before every weight layer, kept on at prediction time).</param>
/// <param name="Members">The ensemble's members M.</param>
/// <param name="Epochs">Passes over the training data.</param>
/// <param name="BatchSize">Rows per minibatch.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="Seed">Seeds the initial weights, the shuffling and the weight noise: the same seed gives the same model.</param>
/// <param name="Tune">
/// mcdropout regression only: choose the dropout rate and the noise sd on 20% of the training rows held out, as Gal &amp;
/// Ghahramani on UCI (<see cref="Builders.SequentialBuilder.SearchMCDropout"/>), then refit on all of them.
/// </param>
/// <param name="WeightInit">
/// How the deterministic layers' weights start (<see cref="WeightInitialization"/>): torch (TorchSharp's own), glorot-uniform
/// (Keras's default, zero biases) or he-normal. Not for vi, whose Bayesian layers start from their posterior's own initialisation.
/// </param>
internal sealed record TrainOptions(string Method = "vi", string? Task = null, string? Network = null, string Activation = "relu",
    double? Dropout = null, int Members = 5, int Epochs = 10, int BatchSize = 128, double LearningRate = 1e-3, long Seed = 2026,
    bool Tune = false, string WeightInit = "torch")
{
    /// <summary>The names <c>--weight-init</c> accepts, with the initialisation each stands for.</summary>
    public static readonly IReadOnlyDictionary<string, WeightInitialization> WeightInits = new Dictionary<string, WeightInitialization>
    {
        ["torch"] = WeightInitialization.TorchDefault,
        ["glorot-uniform"] = WeightInitialization.GlorotUniform,
        ["he-normal"] = WeightInitialization.HeNormal,
    };

    /// <summary>The methods this BayesDL trains.</summary>
    public static readonly string[] Methods = ["vi", "mcdropout", "ensemble", "vae", "laplace", "swag", "sgmcmc"];

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// The options of a config file; an unknown field, a value of the wrong type or a file that is not JSON is an
    /// <see cref="InputException"/>.
    /// </summary>
    public static TrainOptions FromFile(string path)
    {
        if (!File.Exists(path)) throw new InputException($"--config {path}: file not found.");
        try
        {
            return JsonSerializer.Deserialize<TrainOptions>(File.ReadAllText(path), Json)
                   ?? throw new InputException($"--config {path}: expected a JSON object of training options; found null.");
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 1 } p ? $" at {p}" : "";
            string fields = "method, task, network, activation, dropout, members, epochs, batchSize, learningRate, seed, tune, " +
                            "weightInit";
            throw new InputException($"--config {path}: expected a JSON object with the fields {fields}; {Reason(e)}{where} " +
                                     $"(line {e.LineNumber + 1}).");
        }
    }

    static string Reason(JsonException e) =>
        e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "found an unknown field"
        : e.Message.Contains("could not be converted", StringComparison.Ordinal) ? "found a value of the wrong type"
        : "found text that is not such JSON";

    /// <summary>The widths of <see cref="Network"/>; an <see cref="InputException"/> names the option and what a spec looks like.</summary>
    public long[] Widths()
    {
        if (string.IsNullOrWhiteSpace(Network))
            throw new InputException("--network is missing: give the layer widths, input first, e.g. --network 784-400-400-10 (or " +
                                     "\"network\" in --config).");
        string[] parts = Network.Split('-');
        var widths = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1)
                throw new InputException($"--network {Network}: '{parts[i]}' is not a positive whole number; expected widths joined by " +
                                         "'-', input first, e.g. --network 784-400-400-10.");
        if (widths.Length < 2)
            throw new InputException($"--network {Network}: expected at least two widths (input and output), e.g. --network " +
                                     "784-400-400-10.");
        return widths;
    }

    /// <summary>The names <c>--activation</c> accepts: every element-wise kind of the core's registry, lower case.</summary>
    public static IEnumerable<string> ActivationNames => LayerKinds.Activations.Select(k => k.Type.ToLowerInvariant());

    /// <summary>The registered activation named <see cref="Activation"/> (any case); an <see cref="InputException"/> lists them.</summary>
    public ElementwiseKind ActivationKind()
    {
        var kind = LayerKinds.Activations.FirstOrDefault(k => string.Equals(k.Type, Activation, StringComparison.OrdinalIgnoreCase));
        if (kind is not null) return kind;
        string[] valid = [.. ActivationNames];
        throw new InputException($"--activation {Activation}: expected one of {string.Join(", ", valid)}" +
                                 (OptionCatalog.Nearest(Activation, valid) is { } near ? $"; did you mean '{near}'?" : "."));
    }

    /// <summary>The initialisation named <see cref="WeightInit"/>; an <see cref="InputException"/> lists the names.</summary>
    public WeightInitialization Initialization()
    {
        if (WeightInits.TryGetValue(WeightInit, out var initialization)) return initialization;
        string[] valid = [.. WeightInits.Keys];
        throw new InputException($"--weight-init {WeightInit}: expected one of {string.Join(", ", valid)}" +
                                 (OptionCatalog.Nearest(WeightInit, valid) is { } near ? $"; did you mean '{near}'?" : "."));
    }

    /// <summary>The dropout rate in effect: <see cref="Dropout"/>, or 0.1 for mcdropout and 0 otherwise when not given.</summary>
    public double DropoutRate => Dropout ?? (Method == "mcdropout" ? 0.1 : 0.0);

    /// <summary>Refuses options out of range or that do not go together, naming the option, its value and a fix.</summary>
    public void Validate()
    {
        if (!Methods.Contains(Method))
            throw new InputException($"--method {Method}: expected one of {string.Join(", ", Methods)}" +
                                     (OptionCatalog.Nearest(Method, Methods) is { } near ? $"; did you mean '{near}'?" : "."));
        if (Task is not null and not ("classification" or "regression"))
            throw new InputException($"--task {Task}: expected classification or regression.");
        Widths();
        ActivationKind();
        if (Initialization() != WeightInitialization.TorchDefault && Method == "vi")
            throw new InputException($"--weight-init {WeightInit}: applies to deterministic layers (mcdropout, ensemble, vae, " +
                                     "laplace, swag, sgmcmc); vi's Bayesian layers start from their posterior's own initialisation.");
        if (Epochs < 1) throw new InputException($"--epochs {Epochs}: expected a positive number of epochs, e.g. --epochs 10.");
        if (BatchSize < 1)
            throw new InputException($"--batch-size {BatchSize}: expected a positive number of rows, e.g. --batch-size 128.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new InputException($"--lr {LearningRate.ToString(CultureInfo.InvariantCulture)}: expected a finite step size > 0, " +
                                     "e.g. --lr 0.001.");
        if (Members < 1)
            throw new InputException($"--members {Members}: expected a positive number of ensemble members, e.g. --members 5.");
        if (Tune && Method != "mcdropout")
            throw new InputException($"--tune: chooses MC dropout's rate and noise on held-out rows; it applies to --method mcdropout, " +
                                     $"not {Method}.");
        if (Tune && Task != "regression")
            throw new InputException("--tune: chooses a Gaussian noise sd, so it needs --task regression (a --csv table).");
        if (Tune && Dropout is double given)
            throw new InputException($"--dropout {given.ToString(CultureInfo.InvariantCulture)}: --tune chooses the rate from " +
                                     $"{string.Join(", ", Builders.MCDropoutGridSearchOptions.DefaultDropoutRates)}; leave --dropout out.");
        double p = DropoutRate;
        if (Method == "mcdropout" && !(p > 0 && p < 1))
            throw new InputException($"--dropout {p.ToString(CultureInfo.InvariantCulture)}: MC dropout needs a rate in (0, 1), e.g. " +
                                     "--dropout 0.1.");
        if (Method != "mcdropout" && p != 0)
            throw new InputException($"--dropout {p.ToString(CultureInfo.InvariantCulture)}: a dropout rate applies to --method " +
                                     $"mcdropout only; leave it out for {Method}.");
    }
}
