using System.ComponentModel;
using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Metrics;
using BayesDL.Models;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace BayesDL.Cli.Commands;

/// <summary>
/// Part 1, Bayes' rule: generates y = 1.5 - 2x + e (e ~ N(0, 0.5^2)) at N points, fits q(w) by maximising
/// the ELBO, and prints q's mean and standard deviation beside the exact conjugate posterior, and the ELBO
/// beside the exact log evidence.
/// Part 2, "I am not sure": a Bayes-by-Backprop classifier 784-200-10 on the bundled MNIST subset; its
/// accuracy and calibration on the test digits, and its predictive entropy and mutual information on the
/// same digits upright and turned by 90 degrees, where the network should know that it does not know.
/// With <c>--save FILE</c> the trained classifier is written with <see cref="ModelFile"/> for <c>bayesdl evaluate FILE</c>.
/// </summary>
public sealed class QuickstartCommand : Command<QuickstartCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--points <N>")]
        [Description("Number of generated points.")]
        [DefaultValue(50)]
        public int Points { get; init; } = 50;

        [CommandOption("--seed <N>")]
        [Description("Random seed.")]
        [DefaultValue(2026L)]
        public long Seed { get; init; } = 2026;

        [CommandOption("--epochs <N>")]
        [Description("Epochs of the MNIST classifier (0 skips part 2).")]
        [DefaultValue(3)]
        public int Epochs { get; init; } = 3;

        [CommandOption("--save <FILE>")]
        [Description("Saves the trained MNIST classifier of part 2 to FILE, for `bayesdl evaluate FILE --images ... --labels ...`.")]
        public string? Save { get; init; }

        public override ValidationResult Validate()
        {
            if (Points < 1) return ValidationResult.Error($"--points {Points}: expected a positive number of generated points (e.g. " +
                                                          "--points 50).");
            if (Epochs < 0) return ValidationResult.Error($"--epochs {Epochs}: expected 0 (skip part 2) or a positive number of epochs " +
                                                          "(e.g. --epochs 3).");
            return Save is not null && Epochs <= 0
                ? ValidationResult.Error($"--save {Save} needs the classifier of part 2, but --epochs {Epochs} skips it; use --epochs 1 " +
                                         "or more.")
                : ValidationResult.Success();
        }
    }

    const double NoiseStd = 0.5, PriorStd = 1.0;

    /// <summary>
    /// Float64 values per generated point alive at once in part 1: x, the design matrix [1, x], the noise, y, and the ELBO's
    /// residuals, projections and their gradients (a generous count).
    /// </summary>
    const int ValuesPerPoint = 20;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        MemoryBudget.Require("--points", settings.Points, ValuesPerPoint * sizeof(double),
            $"part 1 with {settings.Points} points (about {ValuesPerPoint} float64 values of 8 bytes per point)");
        var policy = ComputePolicy.Default.Float64();
        NativeEngine.Seed(settings.Seed);
        using var scope = NewDisposeScope();
        Tensor xs = rand(settings.Points, dtype: policy.Dtype, device: policy.Device) * 2 - 1;
        Tensor design = stack(new[] { ones_like(xs), xs }, 1);
        Tensor y = 1.5 - 2 * xs + NoiseStd * randn_like(xs);

        using var exact = ConjugateLinearRegression.Posterior(design, y, NoiseStd, PriorStd);
        double logEvidence = ConjugateLinearRegression.LogEvidence(design, y, NoiseStd, PriorStd);
        var vi = LinearRegressionVI.Fit(design, y, NoiseStd, PriorStd);
        using var q = vi.Q;

        AnsiConsole.MarkupLine($"[bold]BayesDL quickstart[/]: y = 1.5 - 2x + e, e ~ N(0, {NoiseStd}^2), {settings.Points} points, prior " +
                               $"w ~ N(0, {PriorStd}^2 I), engine {policy}");
        var table = new Table().AddColumns("weight", "exact mean", "VI mean", "exact std", "VI std", "max |diff|");
        string[] names = { "intercept", "slope" };
        double[] em = exact.Mean.data<double>().ToArray(), qm = q.Mean.data<double>().ToArray();
        double[] es = exact.StdDev().data<double>().ToArray(), qs = q.StdDev().data<double>().ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            double gap = Math.Max(Math.Abs(em[i] - qm[i]), Math.Abs(es[i] - qs[i]));
            table.AddRow(names[i], F(em[i]), F(qm[i]), F(es[i]), F(qs[i]), gap.ToString("E1"));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"log evidence log p(y) = {logEvidence:F6}; ELBO of q = {vi.Elbo:F6} (ELBO <= log p(y), equal when q is " +
                               "the exact posterior)");
        if (settings.Epochs > 0) BayesianClassifier(settings);
        return ExitCodes.Success;
    }

    static void BayesianClassifier(Settings settings)
    {
        const int samples = 50;
        var policy = ComputePolicy.Default;
        using var train = Mnist.LoadSubset("train", policy: policy);
        using var test = Mnist.LoadSubset("test", policy: policy);
        AnsiConsole.MarkupLine($"\n[bold]Bayes by Backprop[/] 784-200-10, N(0, 1) prior, {train.Count} training digits, " +
                               $"{settings.Epochs} epochs, engine {policy}");
        var fit = ModelBuilder.Sequential()
            .BayesLinear(784, 200, prior: Priors.Normal(0, 1)).Relu()
            .BayesLinear(200, 10)
            .WithLikelihood(Likelihoods.Categorical())
            .FitVariational(train, new VariationalFitOptions(Epochs: settings.Epochs, Seed: settings.Seed), policy);
        using var model = fit.Model;
        foreach (var epoch in fit.Epochs)
            AnsiConsole.MarkupLine($"  epoch {epoch.Epoch}: ELBO {epoch.Elbo:F0} nats over the training set (KL(q||p) {epoch.KL:F0}), " +
                                   $"loss per example {epoch.MeanLoss:F4}, {epoch.Seconds:F1} s");
        if (settings.Save is not null)
        {
            ModelFile.Save(model.Network, settings.Save);
            AnsiConsole.MarkupLine($"  saved to {Markup.Escape(settings.Save)}; score it with [bold]bayesdl evaluate " +
                                   $"{Markup.Escape(settings.Save)} " +
                                   $"--images data/{Mnist.SubsetFile("test", "images-idx3")} --labels " +
                                   $"data/{Mnist.SubsetFile("test", "labels-idx1")}[/]");
        }

        using var scope = NewDisposeScope();
        Tensor turned = ImageRotation.Rotate(test.Inputs, 90);
        using var upright = model.Predict(test.Inputs, samples);
        using var rotated = model.Predict(turned, samples);
        Tensor probabilities = upright.Mean();
        var table = new Table().AddColumns($"test digits (T = {samples} weight samples)", "accuracy", "predictive entropy",
            "mutual information (epistemic)");
        table.AddRow("upright", F(ClassificationMetrics.Accuracy(probabilities, test.Targets)),
            F(upright.PredictiveEntropy().mean().item<float>()), F(upright.MutualInformation().mean().item<float>()));
        table.AddRow("turned 90 degrees", F(ClassificationMetrics.Accuracy(rotated.Mean(), test.Targets)),
            F(rotated.PredictiveEntropy().mean().item<float>()), F(rotated.MutualInformation().mean().item<float>()));
        AnsiConsole.Write(table);
        double ece = ReliabilityDiagram.Compute(probabilities, test.Targets).ExpectedCalibrationError;
        double auroc = Auroc.Compute(upright.MutualInformation(), rotated.MutualInformation());
        AnsiConsole.MarkupLine($"ECE (15 bins) {ece:F4}; NLL " +
                               $"{ClassificationMetrics.NegativeLogLikelihood(probabilities, test.Targets):F4}; " +
                               $"AUROC of mutual information for telling turned from upright digits {auroc:F3}");
    }

    static string F(double v) => v.ToString("F6");
    static string F(float v) => v.ToString("F4");
}
