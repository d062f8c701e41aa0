using System.Diagnostics;
using System.Globalization;
using System.Text;
using BayesDL.Examples;
using BayesDL.Mcmc;
using BayesDL.Modeling;
using BayesDL.Variational;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// NUTS (4 chains x (1,000 warm-up + 1,000 draws), Stan's defaults but the target acceptance of each posterior's reference run;
/// <c>--dense-mass</c>: a dense metric instead of the diagonal) and full-rank ADVI on every posterior of a folder laid out like
/// posteriordb's (<c>--data DIR</c>, default the first shared/posteriordb above the working directory; <c>--posteriors a,b</c>
/// to pick) whose model is in <see cref="ExampleModels"/>. Per parameter posteriordb's judgement (mean within 4 combined MCSE, sd within
/// 10%); per posterior max R-hat, divergences, min bulk ESS per second and per gradient, microseconds per gradient inside NUTS and
/// of one log density + gradient call for 4 chains per chain (as the samplers take it, and by autograd through the density),
/// and ADVI's largest mean error in reference sd; for sblrc-blr also the same density written as bare TorchSharp operations
/// (<see cref="RawTorchSharpBlr"/>), the autograd floor. Writes
/// <c>posteriordb.md</c> (the table) to the output folder.
/// </summary>
public sealed class PosteriorDbWorkload : IWorkload
{
    public string Name => "posteriordb";
    public string Description =>
        "NUTS and full-rank ADVI on posteriordb's reference posteriors (--data DIR, --posteriors a,b): judgement, R-hat, ESS/s";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        string[] args = Environment.GetCommandLineArgs();
        string? Arg(string flag) { int i = Array.IndexOf(args, flag); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
        string root = Arg("--data") ?? FindShared();
        string[] wanted = Arg("--posteriors")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                          ?? [];
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => ExampleModels.Contains(n!))
            .Where(n => wanted.Length == 0 || wanted.Contains(n)).OrderBy(n => n).ToList();
        foreach (string w in wanted.Where(w => !folders.Contains(w)))
            throw new ArgumentException(
                $"posteriordb: '{w}' is not a folder of {root} with a registered model ({string.Join(", ", ExampleModels.Names)})");
        // --target-acceptance D: dual averaging's target (Stan's adapt_delta) for every posterior; by default each posterior's
        // reference setting (ExampleModels.ReferenceTargetAcceptance: 0.95 for the non-centred eight schools, 0.8 otherwise).
        string? deltaText = Arg("--target-acceptance");
        double? delta = deltaText is null ? null
            : double.TryParse(deltaText, System.Globalization.CultureInfo.InvariantCulture, out double v) && v > 0 && v < 1 ? v
            : throw new ArgumentException($"posteriordb: --target-acceptance {deltaText} is not a number in (0, 1), e.g. 0.9.");
        // --dense-mass: a dense inverse mass matrix (Stan's dense_e) instead of the diagonal (diag_e, the reference runs' metric).
        bool dense = args.Contains("--dense-mass");
        var hmc = options.Quick ? new HmcOptions(Samples: 100, Warmup: 100, Chains: 2, Seed: options.Seed, DenseMassMatrix: dense)
                                : new HmcOptions(Samples: 1000, Warmup: 1000, Chains: 4, Seed: options.Seed, DenseMassMatrix: dense);
        var advi = new AdviOptions(Steps: options.Quick ? 500 : 10_000, Seed: options.Seed);
        var figures = new Dictionary<string, object>();
        var table = new StringBuilder();
        table.AppendLine("| posterior | target acceptance | parameters passing | max R-hat | divergences | min bulk ESS/s | " +
                         "bulk ESS per gradient | us per gradient (NUTS) | us per chain-gradient (4 chains) | by autograd | " +
                         "ADVI max mean error (ref sd) | ADVI s |");
        table.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        var failures = new StringBuilder();
        int allPass = 0;
        foreach (string name in folders!)
        {
            string folder = Path.Combine(root, name!);
            Model model = ExampleModels.FromPosteriorDb(folder);
            var reference = PosteriorDbFolder.ReadReference(folder);
            double target = delta ?? ExampleModels.ReferenceTargetAcceptance(name!);
            var (gradientUs, autogradUs) = GradientCosts(model, options.Quick ? 50 : 300);
            if (name == "sblrc-blr") BareReference(model, folder, options, figures);
            options.Progress($"{name}: log density + gradient for 4 chains {gradientUs:F1} us per chain (by autograd {autogradUs:F1}); " +
                             $"NUTS {hmc.Chains} x ({hmc.Warmup} + {hmc.Samples}), target acceptance {target}");
            using ModelPosterior nuts = ModelSampling.Nuts(model, hmc with { TargetAcceptance = target });
            var judged = reference.Select(r => r.Judge(nuts[r.Name].Mean, nuts[r.Name].StdDev, nuts[r.Name].Mcse)).ToList();
            int passing = judged.Count(j => j is null);
            foreach (string f in judged.OfType<string>()) failures.AppendLine($"- {name}: {f}");
            double maxRHat = reference.Max(r => nuts[r.Name].RHat);
            double minEss = reference.Min(r => nuts[r.Name].BulkEss);
            McmcResult run = nuts.Run;
            double seconds = run.Elapsed.TotalSeconds, nutsUs = 1e6 * seconds / run.GradientEvaluations;
            bool pass = passing == reference.Count && maxRHat <= 1.01 && nuts.Divergences == 0;
            if (pass) allPass++;
            double rowsPerCall = (double)run.GradientEvaluations / run.TargetCalls;
            options.Progress($"{name}: {passing}/{reference.Count} pass, max R-hat {maxRHat:F4}, {nuts.Divergences} divergences, " +
                             $"{minEss / seconds:F1} ESS/s, {nutsUs:F0} us per gradient, {rowsPerCall:F2} chains per call; " +
                             "gradients per chain (warm-up + sampling): " +
                             string.Join(", ", run.GradientsPerChain.Select(g => $"{g.Warmup} + {g.Sampling}")) +
                             "; step sizes " +
                             string.Join(", ", run.StepSizes.Select(e => e.ToString("G3", CultureInfo.InvariantCulture))));
            var clock = Stopwatch.StartNew();
            using AdviPosterior fit = Advi.Fit(model, advi);
            double adviError = reference.Max(r => Math.Abs(fit[r.Name].Mean - r.Mean) / r.StdDev);
            options.Progress($"{name}: full-rank ADVI max mean error {adviError:F3} ref sd in {clock.Elapsed.TotalSeconds:F1} s");
            string key = name!.Replace('-', '_');
            figures[$"{key}_pass"] = pass;
            figures[$"{key}_target_acceptance"] = target;
            figures[$"{key}_parameters_passing"] = $"{passing}/{reference.Count}";
            figures[$"{key}_max_rhat"] = Math.Round(maxRHat, 4);
            figures[$"{key}_divergences"] = nuts.Divergences;
            figures[$"{key}_ess_per_s"] = Math.Round(minEss / seconds, 2);
            figures[$"{key}_ess_per_gradient"] = Math.Round(minEss / run.GradientEvaluations, 5);
            figures[$"{key}_us_per_gradient"] = Math.Round(nutsUs, 1);
            figures[$"{key}_chains_per_call"] = Math.Round(rowsPerCall, 2);
            figures[$"{key}_max_chain_gradients"] = run.GradientsPerChain.Max(g => g.Total);
            figures[$"{key}_min_chain_gradients"] = run.GradientsPerChain.Min(g => g.Total);
            figures[$"{key}_us_per_chain_gradient"] = Math.Round(gradientUs, 1);
            figures[$"{key}_us_per_chain_gradient_autograd"] = Math.Round(autogradUs, 1);
            figures[$"{key}_advi_max_mean_error_sd"] = Math.Round(adviError, 4);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {target} | {passing}/{reference.Count} | {maxRHat:F4} | {nuts.Divergences} | {minEss / seconds:F1} | " +
                $"{minEss / run.GradientEvaluations:F4} | " +
                $"{nutsUs:F0} | {gradientUs:F1} | {autogradUs:F1} | {adviError:F3} | {clock.Elapsed.TotalSeconds:F1} |"));
        }
        string targets = delta is null ? "target acceptance as in each reference run" : $"target acceptance {delta}";
        string header = $"# posteriordb: NUTS {hmc.Chains} x ({hmc.Warmup} + {hmc.Samples}), {targets}, " +
                        $"{(dense ? "dense" : "diagonal")} metric, " +
                        $"full-rank ADVI {advi.Steps} steps, " +
                        $"seed {options.Seed}" +
                        $"{(options.Quick ? " (quick)" : "")}\n\n";
        string markdown = header + table + (failures.Length > 0 ? "\nFailing parameters:\n\n" + failures : "");
        string path = Path.Combine(options.OutputDirectory, "posteriordb.md");
        File.WriteAllText(path, markdown);
        options.Progress($"table: {path}\n{markdown}");
        figures["posteriors"] = folders.Count;
        figures["dense_mass_matrix"] = dense;
        figures["posteriors_passing"] = allPass;
        figures["table"] = path;
        return figures;
    }

    /// <summary>
    /// The cost per chain-gradient, 4 chains, as the samplers take it and by autograd through the log density: medians of three
    /// alternated rounds, after a second of both (.NET compiles a method's optimised code only after it has run a while: without
    /// the warm-up the first posterior of a process measured 40% above its cost when it came later).
    /// </summary>
    static (double Sampler, double Autograd) GradientCosts(Model model, int repeats)
    {
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < TimeSpan.FromSeconds(repeats < 300 ? 0.1 : 1);)
        {
            GradientMicroseconds(model, 4, 50);
            AutogradMicroseconds(model.LogDensity, model, 4, 50);
        }
        var sampler = new List<double>();
        var autograd = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            sampler.Add(GradientMicroseconds(model, 4, repeats));
            autograd.Add(AutogradMicroseconds(model.LogDensity, model, 4, repeats));
        }
        return (Statistic.Median(sampler), Statistic.Median(autograd));
    }

    /// <summary>
    /// Microseconds per chain of one log density and gradient evaluation for <paramref name="chains"/> chains at once, as the
    /// samplers take it (<see cref="Model.LogDensityAndGradient"/>: closed-form partials, autograd only through the body's own
    /// operations).
    /// </summary>
    static double GradientMicroseconds(Model model, int chains, int repeats) =>
        PerChainMicroseconds(model, chains, repeats, x => model.LogDensityAndGradient(x).Gradient);

    /// <summary>The same with the gradient by autograd through the whole of <paramref name="logDensity"/>.</summary>
    static double AutogradMicroseconds(Func<Tensor, Tensor> logDensity, Model model, int chains, int repeats) =>
        PerChainMicroseconds(model, chains, repeats, x =>
        {
            Tensor xi = x.detach().requires_grad_(true);
            logDensity(xi).sum().backward();
            return xi.grad!;
        });

    /// <summary>Microseconds per chain of <paramref name="gradient"/> at one random point for <paramref name="chains"/> chains,
    /// over <paramref name="repeats"/> calls after ten untimed ones, with the distributions' checks off as in the samplers.</summary>
    static double PerChainMicroseconds(Model model, int chains, int repeats, Func<Tensor, Tensor> gradient)
    {
        using var scope = NewDisposeScope();
        using var skipChecks = BayesDL.Distributions.Distribution.WithoutValidation(); // as the samplers evaluate it after their start
        Tensor x = (rand(chains, model.Dimension, dtype: model.Policy.Dtype, device: model.Policy.Device) - 0.5) * 0.2;
        for (int i = 0; i < 10 + repeats; i++)
        {
            if (i == 10) Time.Restart();
            using var step = NewDisposeScope();
            _ = gradient(x).sum().item<double>();
        }
        return 1e6 * Time.Elapsed.TotalSeconds / repeats / chains;
    }

    /// <summary>
    /// sblrc-blr's gradient three ways, 4 chains, five alternated rounds: the model API as the samplers take it (closed-form
    /// partials), the model API by autograd through its log density, and the density as bare TorchSharp operations
    /// (<see cref="RawTorchSharpBlr"/>) by autograd, the autograd floor on this model. The bare gradient is first checked against
    /// the model's.
    /// </summary>
    static void BareReference(Model model, string folder, BenchOptions options, Dictionary<string, object> figures)
    {
        var bare = new RawTorchSharpBlr(PosteriorDbFolder.ReadData(folder, model.Policy));
        using (var scope = NewDisposeScope())
        {
            Tensor x = (rand(4, model.Dimension, dtype: model.Policy.Dtype, device: model.Policy.Device) - 0.5) * 0.4;
            Tensor Gradient(Func<Tensor, Tensor> f)
            {
                Tensor xi = x.detach().requires_grad_(true);
                f(xi).sum().backward();
                return xi.grad!;
            }
            Tensor modelGradient = Gradient(model.LogDensity), bareGradient = Gradient(bare.LogDensity);
            if (!allclose(bareGradient, modelGradient, rtol: 1e-9, atol: 1e-9))
                throw new InvalidOperationException("posteriordb: the bare sblrc-blr density's gradient differs from the model's");
        }
        int repeats = options.Quick ? 50 : 1000;
        var modelUs = new List<double>();
        var autogradUs = new List<double>();
        var bareUs = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            modelUs.Add(GradientMicroseconds(model, 4, repeats));
            autogradUs.Add(AutogradMicroseconds(model.LogDensity, model, 4, repeats));
            bareUs.Add(AutogradMicroseconds(bare.LogDensity, model, 4, repeats));
        }
        double m = Statistic.Median(modelUs), a = Statistic.Median(autogradUs), b = Statistic.Median(bareUs);
        options.Progress($"sblrc-blr: log density + gradient for 4 chains, us per chain: model API {m:F1} (by autograd {a:F1}), " +
                         $"bare TorchSharp by autograd {b:F1}");
        figures["sblrc_blr_us_per_chain_gradient_model_rounds"] = Math.Round(m, 1);
        figures["sblrc_blr_us_per_chain_gradient_model_autograd"] = Math.Round(a, 1);
        figures["sblrc_blr_us_per_chain_gradient_bare"] = Math.Round(b, 1);
        var (fixedUs, perOperationUs) = AutogradCosts(model.Policy.Dtype, model.Policy.Device, repeats);
        options.Progress($"autograd on a [4, {model.Dimension}] tensor: {fixedUs:F1} us per call (a sum and its backward pass), " +
                         $"{perOperationUs:F1} us per recorded multiplication, forward and backward");
        figures["autograd_us_per_call"] = Math.Round(fixedUs, 1);
        figures["autograd_us_per_operation"] = Math.Round(perOperationUs, 2);
    }

    /// <summary>
    /// What autograd costs on tensors this small, where the arithmetic is nothing: a call's fixed cost (the sum of a leaf and its
    /// backward pass) and each recorded operation's (ten multiplications more, forward and backward, per multiplication); medians
    /// of five alternated rounds.
    /// </summary>
    static (double FixedUs, double PerOperationUs) AutogradCosts(ScalarType dtype, Device device, int repeats)
    {
        using var scope = NewDisposeScope();
        Tensor x = rand(4, 6, dtype: dtype, device: device);
        double Cost(int operations)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++)
            {
                using var step = NewDisposeScope();
                Tensor y = x.detach().requires_grad_(true), z = y;
                for (int k = 0; k < operations; k++) z = z * 1.0001;
                z.sum().backward();
                _ = y.grad!;
            }
            return 1e6 * clock.Elapsed.TotalSeconds / repeats;
        }
        Cost(0); Cost(10); // warm-up
        var plain = new List<double>();
        var chained = new List<double>();
        for (int round = 0; round < 5; round++) { plain.Add(Cost(0)); chained.Add(Cost(10)); }
        double fixedUs = Statistic.Median(plain);
        return (fixedUs, (Statistic.Median(chained) - fixedUs) / 10);
    }

    static readonly Stopwatch Time = new();

    static string FindShared()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "shared", "posteriordb")))
                return Path.Combine(d.FullName, "shared", "posteriordb");
        throw new ArgumentException("posteriordb: no shared/posteriordb above the working directory; pass --data DIR");
    }
}
