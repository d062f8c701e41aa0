using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using BayesDL.Cli.Evaluation;
using BayesDL.Engine;
using BayesDL.Models;
using BayesDL.Predictive;
using BayesDL.Validation;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace BayesDL.Cli.Commands;

/// <summary>
/// <c>bayesdl predict MODEL --input FILE [--format csv|json] [--samples T]</c>: the T-sample predictive of a saved model for
/// every input row, with its uncertainty split by <see cref="PredictiveSamples"/>. Classification: the class probabilities
/// p̄ = (1/T) Σ_t p_t, the predicted class, the predictive entropy H[p̄] (total), the expected entropy (1/T) Σ_t H[p_t]
/// (aleatoric) and the mutual information H[p̄] − (1/T) Σ_t H[p_t] (epistemic). Regression: the predictive mean, the
/// total variance, E[σ²] (aleatoric) and Var[μ] (epistemic), per target, on the target's original scale (a model trained on
/// standardised data maps its inputs forward and its predictions back). Models: a <see cref="ModelFile"/> of a network (vi,
/// mcdropout) or of a deep ensemble (its T is its member count; <c>--samples</c> does not apply).
/// Inputs: CSV (the training columns without the target) or IDX images.
/// </summary>
public sealed class PredictCommand(IAnsiConsole console) : Command<PredictCommand.Settings>
{
    /// <summary>
    /// Arrays of T x N x K values alive at once (as in evaluate: the draws, their concatenation, the probabilities, the entropies'
    /// temporaries).
    /// </summary>
    const int PredictiveCopies = 12;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<MODEL>")]
        [Description("A model saved by `bayesdl train` (or quickstart --save, ModelFile.Save).")]
        public string Model { get; init; } = "";

        [CommandOption("--input <FILE>")]
        [Description("Inputs: CSV (the training columns without the target) or IDX images.")]
        public string? Input { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("csv (one row per input) or json (an array of objects).")]
        [DefaultValue("csv")]
        public string Format { get; init; } = "csv";

        [CommandOption("--samples <T>")]
        [Description("Stochastic predictions (weight draws or dropout masks) per row; an ensemble uses its members.")]
        [DefaultValue(100)]
        public int Samples { get; init; } = 100;

        [CommandOption("--seed <N>")]
        [Description("Random seed of the draws.")]
        [DefaultValue(2026L)]
        public long Seed { get; init; } = 2026;

        [CommandOption("--no-header")]
        [Description("The input CSV has no header row.")]
        public bool NoHeader { get; init; }

        public override ValidationResult Validate()
        {
            if (Samples < 1) return ValidationResult.Error($"--samples {Samples}: expected a positive number of predictions (e.g. " +
                                                           "--samples 100).");
            if (Format is not ("csv" or "json")) return ValidationResult.Error($"--format {Format}: expected csv or json.");
            if (!File.Exists(Model)) return ValidationResult.Error($"MODEL {Model}: file not found.");
            if (Input is null) return ValidationResult.Error("--input is missing: give the rows to predict (--input FILE, CSV or IDX " +
                                                             "images).");
            return File.Exists(Input) ? ValidationResult.Success() : ValidationResult.Error($"--input {Input}: file not found.");
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var policy = ComputePolicy.Default;
        using var scope = NewDisposeScope();
        using var predictive = Predict(settings, policy);
        var rows = Rows(predictive);
        var writer = console.Profile.Out.Writer;
        if (settings.Format == "json")
            writer.WriteLine(JsonSerializer.Serialize(rows.Select(r => r.ToDictionary(c => c.Name, c => c.Value))));
        else
        {
            writer.WriteLine(string.Join(",", rows[0].Select(c => c.Name)));
            foreach (var row in rows)
                writer.WriteLine(string.Join(",", row.Select(c => c.Value.ToString("R", CultureInfo.InvariantCulture))));
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// The predictive of the model (a network or a deep ensemble) for the input rows, on the data's original scale (a model trained
    /// on standardised data standardises the rows and maps its predictions back, <see cref="SavedModel"/>).
    /// </summary>
    static PredictiveSamples Predict(Settings settings, ComputePolicy policy)
    {
        using var model = SavedModel.Open(settings.Model, "predict", policy);
        Tensor inputs = EvaluationData.LoadInputs(settings.Input!, "--input", !settings.NoHeader, model.Input, policy);
        if (inputs.shape[0] == 0) throw new InputException($"--input {settings.Input}: no rows to predict.");
        int samples = model.Samples(settings.Samples);
        RequireMemory(inputs, model.Outputs(inputs), samples);
        return model.Predict(inputs, samples, settings.Seed);
    }

    static void RequireMemory(Tensor inputs, long outputs, int samples)
    {
        long bytes = inputs.ElementSize, n = inputs.shape[0];
        MemoryBudget.Require("--samples", samples, (double)n * outputs * bytes * PredictiveCopies,
            $"the predictive for {n} rows x {outputs} outputs (T x N x K x {bytes} bytes, {PredictiveCopies} arrays at once)");
    }

    /// <summary>One list of named values per input row, from the core's decomposition of the predictive.</summary>
    static List<List<(string Name, double Value)>> Rows(PredictiveSamples p)
    {
        var columns = new List<(string Name, double[] Values)>();
        double[] Values(Tensor t) => t.to(ScalarType.Float64).cpu().data<double>().ToArray();
        if (p.Kind == PredictiveKind.Classification)
        {
            Tensor mean = p.Mean();
            long classes = mean.shape[1];
            columns.Add(("class", Values(p.PredictedClass())));
            for (long k = 0; k < classes; k++) columns.Add(($"p{k}", Values(mean[.., k])));
            columns.Add(("predictive_entropy", Values(p.PredictiveEntropy())));
            columns.Add(("aleatoric_expected_entropy", Values(p.ExpectedEntropy())));
            columns.Add(("epistemic_mutual_information", Values(p.MutualInformation())));
        }
        else
        {
            Tensor mean = p.Mean(), total = p.TotalVariance(), aleatoric = p.AleatoricVariance(), epistemic = p.EpistemicVariance();
            long targets = mean.shape[1];
            for (long d = 0; d < targets; d++)
            {
                string suffix = targets == 1 ? "" : $"_{d}";
                columns.Add(("mean" + suffix, Values(mean[.., d])));
                columns.Add(("variance" + suffix, Values(total[.., d])));
                columns.Add(("aleatoric_variance" + suffix, Values(aleatoric[.., d])));
                columns.Add(("epistemic_variance" + suffix, Values(epistemic[.., d])));
            }
        }
        return Enumerable.Range(0, (int)p.Count)
            .Select(i => columns.Select(c => (c.Name, c.Values[i])).Prepend(("row", (double)i)).ToList()).ToList();
    }
}
