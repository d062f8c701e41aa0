using System.ComponentModel;
using BayesDL.Engine;
using BayesDL.Inference;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace BayesDL.Cli.Commands;

/// <summary>
/// Generates y = 1.5 - 2x + e (e ~ N(0, 0.5^2)) at N points, fits q(w) by maximising the ELBO, and
/// prints q's mean and standard deviation beside the exact conjugate posterior, and the ELBO beside the
/// exact log evidence.
/// </summary>
public sealed class QuickstartCommand : Command<QuickstartCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--points")] [Description("Number of generated points.")] [DefaultValue(50)]
        public int Points { get; init; } = 50;

        [CommandOption("--seed")] [Description("Random seed.")] [DefaultValue(2026L)]
        public long Seed { get; init; } = 2026;
    }

    const double NoiseStd = 0.5, PriorStd = 1.0;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
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

        AnsiConsole.MarkupLine($"[bold]BayesDL quickstart[/]: y = 1.5 - 2x + e, e ~ N(0, {NoiseStd}^2), {settings.Points} points, prior w ~ N(0, {PriorStd}^2 I), engine {policy}");
        var table = new Table().AddColumns("weight", "exact mean", "VI mean", "exact std", "VI std", "max |diff|");
        string[] names = { "intercept", "slope" };
        double[] em = exact.Mean.data<double>().ToArray(), qm = q.Mean.data<double>().ToArray();
        double[] es = exact.StdDev().data<double>().ToArray(), qs = q.StdDev().data<double>().ToArray();
        for (int i = 0; i < names.Length; i++)
            table.AddRow(names[i], F(em[i]), F(qm[i]), F(es[i]), F(qs[i]), Math.Max(Math.Abs(em[i] - qm[i]), Math.Abs(es[i] - qs[i])).ToString("E1"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"log evidence log p(y) = {logEvidence:F6}; ELBO of q = {vi.Elbo:F6} (ELBO <= log p(y), equal when q is the exact posterior)");
        return 0;
    }

    static string F(double v) => v.ToString("F6");
}
