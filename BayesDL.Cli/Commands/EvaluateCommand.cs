using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using BayesDL.Cli.Evaluation;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Metrics;
using BayesDL.Models;
using BayesDL.Predictive;
using BayesDL.Validation;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace BayesDL.Cli.Commands;

/// <summary>
/// <c>bayesdl evaluate MODEL --images FILE --labels FILE [--samples 100] [--seed N] [--json]</c>: loads a model saved with
/// <see cref="ModelFile"/> (for example by <c>bayesdl quickstart --save</c> or the F# DSL's <c>Model.save</c>) and scores its
/// T-sample predictive on labelled images with <see cref="PredictiveScores"/>: accuracy, NLL, Brier score, ECE (15 bins),
/// mean predictive entropy and mean mutual information. Unusable input (missing file, not a model file, images of the
/// wrong size, a bad option value, a <c>--samples</c> whose predictive would not fit in memory) exits 2 with a message naming
/// the option and its value (<see cref="ExitCodes"/>).
/// </summary>
public sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateCommand.Settings>
{
    const int CalibrationBins = 15;

    /// <summary>
    /// An upper bound on the arrays of T x N x K values alive at once while scoring (the draws' outputs and their
    /// concatenation, the probabilities, and the temporaries of the entropies and scores), from the peak memory of evaluate
    /// runs at growing T.
    /// </summary>
    const int PredictiveCopies = 12;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<MODEL>")]
        [Description("A model file written by `bayesdl quickstart --save` or ModelFile.Save / Model.save.")]
        public string Model { get; init; } = "";

        [CommandOption("--images <FILE>")]
        [Description("Images: IDX (gzipped or not; pixels scaled to [[0, 1]]) or CSV (one image per row, values as written).")]
        public string? Images { get; init; }

        [CommandOption("--labels <FILE>")]
        [Description("Labels: IDX, or a one-column CSV of class indices. For CSV images it may be left out: then their last column is the label.")]
        public string? Labels { get; init; }

        [CommandOption("--samples <T>")]
        [Description("Stochastic predictions (weight draws or dropout masks) per image.")]
        [DefaultValue(100)]
        public int Samples { get; init; } = 100;

        [CommandOption("--seed <N>")]
        [Description("Random seed of the weight draws.")]
        [DefaultValue(2026L)]
        public long Seed { get; init; } = 2026;

        [CommandOption("--no-header")]
        [Description("CSV files have no header row.")]
        public bool NoHeader { get; init; }

        [CommandOption("--json")]
        [Description("Print one JSON object instead of the table.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (Samples < 1) return ValidationResult.Error($"--samples {Samples}: expected a positive number of predictions (e.g. --samples 100).");
            if (!File.Exists(Model)) return ValidationResult.Error($"MODEL {Model}: file not found.");
            if (Images is null) return ValidationResult.Error("--images is missing: give the images to score (--images FILE, IDX or CSV).");
            if (!File.Exists(Images)) return ValidationResult.Error($"--images {Images}: file not found.");
            if (Labels is not null && !File.Exists(Labels)) return ValidationResult.Error($"--labels {Labels}: file not found.");
            return ValidationResult.Success();
        }
    }

    /// <summary>Scores the model; bad input throws <see cref="InputException"/>, which the app reports with exit code 2.</summary>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var scores = Evaluate(settings);
        if (settings.Json) console.Profile.Out.Writer.WriteLine(ToJson(settings, scores));
        else Print(settings, scores);
        return ExitCodes.Success;
    }

    /// <summary>Loads the model and the data under the default policy and scores the predictive.</summary>
    static PredictiveScores Evaluate(Settings settings)
    {
        var policy = ComputePolicy.Default;
        using var network = LoadModel(settings.Model, policy);
        var input = NetworkInput.Of(network) ?? throw new InputException($"MODEL {settings.Model}: the network has no weight layer to score.");
        using var data = EvaluationData.Load(settings.Images!, settings.Labels, !settings.NoHeader, input, policy);
        if (data.Count == 0) throw new InputException($"--images {settings.Images}: no images to score.");
        RequireMemory(network, data, settings.Samples);
        NativeEngine.Seed(settings.Seed);
        using var scope = NewDisposeScope();
        using var predictive = network.Predict(data.Inputs, settings.Samples);
        if (predictive.Kind != PredictiveKind.Classification)
            throw new InputException($"MODEL {settings.Model}: a {predictive.Kind.ToString().ToLowerInvariant()} model; evaluate scores classifiers " +
                                     "(a categorical likelihood).");
        long classes = predictive.Samples.shape[2];
        long top = data.Targets.max().item<long>();
        if (top >= classes)
            throw new InputException($"--labels {settings.Labels ?? settings.Images}: label {top} but the model predicts {classes} classes (0 to {classes - 1}).");
        return PredictiveScores.Compute(predictive, data.Targets, CalibrationBins);
    }

    /// <summary>
    /// Refuses a <c>--samples</c> T whose predictive, T x N x K values (N images, K classes, one forward pass on one image
    /// tells K) in <see cref="PredictiveCopies"/> arrays at once, would not fit in the memory available.
    /// </summary>
    static void RequireMemory(BayesianNetwork network, LabeledData data, int samples)
    {
        long classes;
        using (no_grad())
        using (var probe = network.forward(data.Inputs.narrow(0, 0, 1)))
            classes = probe.shape[^1];
        long bytes = data.Inputs.ElementSize;
        MemoryBudget.Require("--samples", samples, (double)data.Count * classes * bytes * PredictiveCopies,
            $"the predictive for {data.Count} images x {classes} classes (T x N x K x {bytes} bytes, {PredictiveCopies} arrays at once)");
    }

    static BayesianNetwork LoadModel(string path, ComputePolicy policy)
    {
        try
        {
            return ModelFile.Load(path, policy);
        }
        catch (FileFormatException e)
        {
            throw new InputException($"MODEL {e.Message}");
        }
    }

    void Print(Settings settings, PredictiveScores s)
    {
        console.MarkupLine($"[bold]{Markup.Escape(settings.Model)}[/] on {s.Count} images ({Markup.Escape(settings.Images!)}), " +
                           $"T = {s.Samples} stochastic predictions, seed {settings.Seed}");
        var table = new Table().AddColumns("metric", "value");
        table.AddRow("accuracy", F(s.Accuracy));
        table.AddRow("NLL (nats)", F(s.NegativeLogLikelihood));
        table.AddRow("Brier score", F(s.BrierScore));
        table.AddRow($"ECE ({s.Bins} bins)", F(s.ExpectedCalibrationError));
        table.AddRow("mean predictive entropy (nats)", F(s.MeanPredictiveEntropy));
        table.AddRow("mean mutual information (nats)", F(s.MeanMutualInformation));
        console.Write(table);
    }

    static string ToJson(Settings settings, PredictiveScores s) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = settings.Model,
        ["images"] = settings.Images!,
        ["labels"] = settings.Labels ?? settings.Images!,
        ["count"] = s.Count,
        ["samples"] = s.Samples,
        ["seed"] = settings.Seed,
        ["accuracy"] = s.Accuracy,
        ["nll"] = s.NegativeLogLikelihood,
        ["brier"] = s.BrierScore,
        ["ece"] = s.ExpectedCalibrationError,
        ["ece_bins"] = s.Bins,
        ["mean_predictive_entropy"] = s.MeanPredictiveEntropy,
        ["mean_mutual_information"] = s.MeanMutualInformation,
    });

    static string F(double v) => v.ToString("F6", CultureInfo.InvariantCulture);
}
