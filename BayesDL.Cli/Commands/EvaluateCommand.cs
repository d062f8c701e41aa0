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
/// <c>bayesdl evaluate MODEL (--images FILE --labels FILE | --csv FILE --target COLUMN) [--samples 100] [--seed N] [--json]</c>:
/// loads a model saved with <see cref="ModelFile"/> (a network, for example by <c>bayesdl train</c>, <c>quickstart --save</c> or the
/// F# DSL's <c>Model.save</c>, or a deep ensemble, whose T is its member count) and scores its T-sample predictive. A classifier
/// on labelled images or a table's class column, with <see cref="PredictiveScores"/>: accuracy, NLL, Brier score, ECE (15 bins),
/// mean predictive entropy and mean mutual information. A regression model on a table's target column, with
/// <see cref="RegressionScores"/> on the target's original scale (a model trained on standardised data maps the rows forward and
/// its predictions back, <see cref="SavedModel"/>): RMSE of the predictive mean and the mixture's test log-likelihood. Unusable
/// input (missing file, not a model file, a model kind it cannot score, images of the wrong size, a bad option value, a
/// <c>--samples</c> whose predictive would not fit in memory) exits 2 with a message naming the option and its value
/// (<see cref="ExitCodes"/>).
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
        [Description("Labels: IDX, or a one-column CSV of class indices. For CSV images it may be left out: then their last column is " +
                     "the label.")]
        public string? Labels { get; init; }

        [CommandOption("--csv <FILE>")]
        [Description("A CSV table (header row unless --no-header) whose column --target holds the classes or the regression targets.")]
        public string? Csv { get; init; }

        [CommandOption("--target <COLUMN>")]
        [Description("The --csv table's target column: its header name or 0-based index; the other columns are inputs.")]
        public string? Target { get; init; }

        [CommandOption("--splits <FILE>")]
        [Description("With --csv and --split: a splits file of the UCI layout (data/uci/NAME.splits.json); scores split K's test rows.")]
        public string? Splits { get; init; }

        [CommandOption("--split <K>")]
        [Description("The split (0-based) of --splits whose test rows are scored.")]
        public int? Split { get; init; }

        [CommandOption("--samples <T>")]
        [Description("Stochastic predictions (weight draws or dropout masks) per image; an ensemble uses its members.")]
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
            if (Samples < 1) return ValidationResult.Error($"--samples {Samples}: expected a positive number of predictions (e.g. " +
                                                           "--samples 100).");
            if (!File.Exists(Model)) return ValidationResult.Error($"MODEL {Model}: file not found.");
            if (Csv is not null)
            {
                if (Images is not null || Labels is not null)
                    return ValidationResult.Error($"--csv {Csv} and --images/--labels both given: score one data set, a table or images.");
                if (Target is null)
                    return ValidationResult.Error("--target is missing: name the --csv table's target column (header name or 0-based " +
                                                  "index).");
                return File.Exists(Csv) ? ValidationResult.Success() : ValidationResult.Error($"--csv {Csv}: file not found.");
            }
            if (Target is not null)
                return ValidationResult.Error($"--target {Target}: applies to a --csv table; give the table with --csv FILE.");
            if (Splits is not null || Split is not null)
                return ValidationResult.Error("--splits/--split: select the test rows of a --csv table; give the table with --csv FILE.");
            if (Images is null)
                return ValidationResult.Error("--images is missing: give the images to score (--images FILE, IDX or CSV) " +
                                              "or a table (--csv FILE --target COLUMN).");
            if (!File.Exists(Images)) return ValidationResult.Error($"--images {Images}: file not found.");
            if (Labels is not null && !File.Exists(Labels)) return ValidationResult.Error($"--labels {Labels}: file not found.");
            return ValidationResult.Success();
        }
    }

    /// <summary>Scores the model; bad input throws <see cref="InputException"/>, which the app reports with exit code 2.</summary>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var policy = ComputePolicy.Default;
        using var model = SavedModel.Open(settings.Model, "evaluate", policy);
        bool classifier = model.Likelihood == LikelihoodKind.Categorical;
        if (!classifier && model.Likelihood != LikelihoodKind.Gaussian)
            throw new InputException($"MODEL {settings.Model}: a model with a {model.Likelihood} likelihood; evaluate scores classifiers " +
                                     "(a categorical likelihood) and regression models (a Gaussian likelihood).");
        if (!classifier && settings.Csv is null)
            throw new InputException($"MODEL {settings.Model}: a regression model, which has no classes to score on images; " +
                                     "give a table with its target: --csv FILE --target COLUMN.");
        using var data = settings.Csv is { } csv
            ? EvaluationData.LoadTable(csv, settings.Target!, !settings.NoHeader, classifier, model.Input, policy,
                settings.Splits, settings.Split)
            : EvaluationData.Load(settings.Images!, settings.Labels, !settings.NoHeader, model.Input, policy);
        if (data.Count == 0) throw new InputException($"{Source(settings)}: no {(settings.Csv is null ? "images" : "rows")} to score.");
        int samples = model.Samples(settings.Samples);
        RequireMemory(model, data, samples, settings.Csv is null ? "images" : "rows", classifier ? "classes" : "outputs");
        using var scope = NewDisposeScope();
        using var predictive = model.Predict(data.Inputs, samples, settings.Seed);
        var writer = console.Profile.Out.Writer;
        if (!classifier)
        {
            var regression = RegressionScores.Compute(predictive, data.Targets);
            if (settings.Json) writer.WriteLine(ToJson(settings, regression));
            else Print(settings, regression);
            return ExitCodes.Success;
        }
        long classes = predictive.Samples.shape[2];
        long top = data.Targets.max().item<long>();
        if (top >= classes)
        {
            string source = settings.Csv is null ? "--labels " + (settings.Labels ?? settings.Images) : "--csv " + settings.Csv;
            throw new InputException($"{source}: label {top} but the model predicts {classes} classes (0 to {classes - 1}).");
        }
        var scores = PredictiveScores.Compute(predictive, data.Targets, CalibrationBins);
        if (settings.Json) writer.WriteLine(ToJson(settings, scores));
        else Print(settings, scores);
        return ExitCodes.Success;
    }

    static string Source(Settings settings) => settings.Csv is { } csv ? $"--csv {csv}" : $"--images {settings.Images}";

    /// <summary>
    /// Refuses a <c>--samples</c> T whose predictive, T x N x K values (N rows, K outputs, one forward pass on one row
    /// tells K) in <see cref="PredictiveCopies"/> arrays at once, would not fit in the memory available.
    /// </summary>
    static void RequireMemory(SavedModel model, LabeledData data, int samples, string rows, string outputNames)
    {
        long outputs = model.Outputs(data.Inputs);
        long bytes = data.Inputs.ElementSize;
        MemoryBudget.Require("--samples", samples, (double)data.Count * outputs * bytes * PredictiveCopies,
            $"the predictive for {data.Count} {rows} x {outputs} {outputNames} " +
            $"(T x N x K x {bytes} bytes, {PredictiveCopies} arrays at once)");
    }

    void Print(Settings settings, RegressionScores s)
    {
        string split = settings.Split is int k ? $"split {k}'s test rows of " : "";
        console.MarkupLine($"[bold]{Markup.Escape(settings.Model)}[/] on {s.Count} rows ({split}{Markup.Escape(settings.Csv!)}, target " +
                           $"{Markup.Escape(settings.Target!)}), T = {s.Samples} stochastic predictions, seed {settings.Seed}, " +
                           "original scale");
        var table = new Table().AddColumns("metric", "value");
        table.AddRow("RMSE", F(s.RootMeanSquaredError));
        table.AddRow("test log-likelihood (nats)", F(s.TestLogLikelihood));
        console.Write(table);
    }

    static string ToJson(Settings settings, RegressionScores s)
    {
        var fields = new Dictionary<string, object>
        {
            ["model"] = settings.Model,
            ["csv"] = settings.Csv!,
            ["target"] = settings.Target!,
            ["count"] = s.Count,
            ["samples"] = s.Samples,
            ["seed"] = settings.Seed,
            ["rmse"] = s.RootMeanSquaredError,
            ["test_log_likelihood"] = s.TestLogLikelihood,
        };
        if (settings.Split is int k) fields["split"] = k;
        return JsonSerializer.Serialize(fields);
    }

    void Print(Settings settings, PredictiveScores s)
    {
        console.MarkupLine($"[bold]{Markup.Escape(settings.Model)}[/] on {s.Count} {(settings.Csv is null ? "images" : "rows")} " +
                           $"({Markup.Escape(settings.Images ?? settings.Csv!)}), " +
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
        ["images"] = settings.Images ?? settings.Csv!,
        ["labels"] = settings.Labels ?? settings.Images ?? $"{settings.Csv} column {settings.Target}",
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
