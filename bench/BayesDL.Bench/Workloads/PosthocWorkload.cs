using System.Diagnostics;
using System.Globalization;
using System.Text;
using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Layers;
using BayesDL.Metrics;
using BayesDL.Models;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Posteriors of a network already trained, against the Bayesian methods trained from scratch (issue 13's "posthoc" benchmark).
/// The bundled MNIST split: the first 7,000 training digits train every method, the last 1,000 are held out (temperature
/// scaling's split; nothing else reads them), the 2,000 test digits score. One MAP network 784-400-400-10 (Adam 1e-3, batch 128,
/// 10 epochs, the N(0, 1) prior as weight decay: <see cref="PosthocRecipes.TrainMap"/>), then around it, each by the library's
/// own fit: temperature scaling on the held-out split; last-layer KFAC Laplace with the GLM predictive (probit, and Monte Carlo
/// over f), the prior precision tuned by the evidence, and the same with the untuned prior (the training prior's precision);
/// all-weights diagonal Laplace (GLM probit, tuned); SWAG from the MAP weights; MultiSWAG (3 members from their own
/// initialisations); cyclical SGHMC from the MAP weights. Alongside, the shift workload's recipes on the same 7,000 digits: MC
/// dropout (<see cref="ClassifierTraining.TrainMCDropout"/>), Bayes by Backprop (<see cref="Trainer"/> on a Bayesian network) and a
/// 5-member adversarially trained deep ensemble (<c>FitEnsemble</c>). Per method: accuracy, NLL, ECE (15 bins), Brier, the AUROC of
/// predictive entropy telling 2,000 uniform-noise images from the test digits, the NLL on the test digits turned 60 degrees, the
/// seconds to fit (the post-hoc part alone for the methods around the MAP network) and the peak resident memory while the method
/// fits and predicts (the peak is reset before each method through /proc/self/clear_refs; where that is refused, the process's
/// peak so far, and the JSON says which). Writes <c>posthoc.md</c> (the table) to the output folder. Quick mode: 512 training,
/// 100 held-out and 100 test digits, one epoch, shortened SWAG and SG-MCMC runs, T = 10. <c>--seed N</c> (default 1) seeds the
/// MAP network's initialisation and minibatches, the Laplace Monte Carlo draws, and SWAG's, MultiSWAG's and cyclical SGHMC's
/// minibatches, noise and draws (MC dropout, Bayes by Backprop and the ensemble keep their recipes' seeds);
/// <c>--methods a,b</c> runs only the named groups of <see cref="Groups"/> besides MAP (all by default), e.g.
/// <c>--methods laplace</c> for MAP and the last-layer KFAC rows alone.
/// </summary>
public sealed class PosthocWorkload : IWorkload
{
    public string Name => "posthoc";

    public string Description =>
        "MAP 784-400-400-10 on MNIST, then temperature, KFAC and diagonal Laplace, SWAG, MultiSWAG, cyclical SGHMC; "
        + "MC dropout, BBB, ensemble";

    /// <summary>One method's figures; <paramref name="FitCovers"/> says what <paramref name="FitSeconds"/> timed.</summary>
    sealed record Row(string Key, string Method, int Samples, double Accuracy, double Nll, double Ece, double Brier, double Auroc,
        double NllRotated, double FitSeconds, string FitCovers, double PeakRssMb)
    {
        /// <summary>The predictive mean on the test digits, [N, 10] float64 row-major: paired with MAP's by the bootstrap.</summary>
        public double[]? Probabilities { get; init; }
    }

    /// <summary>Resamples of the test digits for the paired bootstrap against MAP.</summary>
    const int Resamples = 1000;

    const double RotationDegrees = 60;

    /// <summary>The method groups <c>--methods</c> accepts; MAP always runs (every other method is compared with it).</summary>
    public static readonly string[] Groups =
        ["temperature", "laplace", "laplace_diagonal", "swag", "multiswag", "sghmc", "mc_dropout", "bbb", "ensemble"];

    public IDictionary<string, object> Run(BenchOptions options)
    {
        bool quick = options.Quick;
        long seed = options.Seed;
        var groups = (options.Value("--methods") ?? string.Join(',', Groups)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        foreach (var g in groups)
            if (!Groups.Contains(g))
                throw new ArgumentException(
                    $"posthoc: --methods lists '{g}'; expected a comma-separated subset of {string.Join(',', Groups)}.");
        bool Runs(string group) => groups.Contains(group);
        var (train, heldOut, test) = LoadSplit(quick);
        using var trainData = train;
        using var heldOutData = heldOut;
        using var testData = test;
        int epochs = quick ? 1 : 10, samples = quick ? 10 : 100;
        using var noise = ClassifierTraining.NoiseImages(test.Count, seed: 7);
        using var rotated = ImageRotation.Rotate(test.Inputs, RotationDegrees);
        bool peakPerMethod = ProcessMemory.ResetPeak();
        var declaration = PosthocRecipes.Declaration();
        var rows = new List<Row>();

        Row? Measure(string key, string method, string covers, int draws, Func<IStochasticPredictor> fit)
        {
            if (key != "map" && !Runs(key.StartsWith("laplace_kfac", StringComparison.Ordinal) ? "laplace" : key)) return null;
            // The previous method's garbage (tensors freed by finalizers) is collected here, not inside this method's timed fit:
            // a post-hoc fit takes about 0.2 s, so a collection inside it would weigh as much as the fit (the same Laplace fit
            // took 0.21 and 0.38 s in one run before this; the cause of that spread was not established).
            GC.Collect();
            GC.WaitForPendingFinalizers();
            ProcessMemory.ReleaseFreedNativeMemory();
            ProcessMemory.ResetPeak();
            var clock = Stopwatch.StartNew();
            Row row;
            try
            {
                var predictor = fit();
                double seconds = clock.Elapsed.TotalSeconds;
                options.Progress($"{method}: fitted in {seconds:F1} s ({covers}); predicting");
                row = Evaluate(key, method, new TrimmingPredictor(predictor), draws, test, rotated, noise) with
                {
                    FitSeconds = seconds,
                    FitCovers = covers,
                    PeakRssMb = ProcessMemory.PeakRssMb(),
                };
                if (predictor is IDisposable owned) owned.Dispose();
            }
            catch (Exception e) when (key != "map")
            {
                // One method's failure (e.g. a diverging SGD run) is a figure of the benchmark, not the end of the others.
                options.Progress($"{method} failed: {e.Message}");
                row = new Row(key, method, draws, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN,
                    clock.Elapsed.TotalSeconds, $"failed: {e.GetType().Name}", ProcessMemory.PeakRssMb());
            }
            options.Progress($"{method}: acc {row.Accuracy:F4} nll {row.Nll:F4} ece {row.Ece:F4} brier {row.Brier:F4} " +
                             $"auroc {row.Auroc:F4} nll@{RotationDegrees:F0} {row.NllRotated:F4}; peak RSS {row.PeakRssMb:F0} MB");
            rows.Add(row);
            return row;
        }

        Sequential? map = null;
        var mapRow = Measure("map", "MAP (Adam, weight decay = N(0, 1) prior)", "training", 1, () =>
        {
            map = PosthocRecipes.TrainMap(declaration, train, epochs, seed, options);
            return PosthocRecipes.MapPredictor(declaration, map);
        });
        var mapNetwork = map!;
        var mapFigures = mapRow!;
        var mapPredictor = PosthocRecipes.MapPredictor(declaration, mapNetwork);
        var likelihood = Likelihood.FromSpec(declaration.Likelihood);
        double temperature = double.NaN;

        Measure("temperature", $"MAP + temperature scaling ({heldOut.Count:N0} held-out digits)", "post hoc", 1, () =>
        {
            TemperatureScaling scaling;
            using (var heldOutPredictive = mapPredictor.Predict(heldOut.Inputs, 1))
                scaling = TemperatureScaling.Fit(heldOutPredictive, heldOut.Targets);
            temperature = scaling.Temperature;
            return new DelegatePredictor((x, t) =>
            {
                using var plain = mapPredictor.Predict(x, t);
                return scaling.Apply(plain);
            });
        });

        var priorPrecision = new Dictionary<string, double>();
        var logEvidence = new Dictionary<string, double>();
        IStochasticPredictor Laplace(string key, LaplaceOptions laplaceOptions)
        {
            var posterior = LaplacePosterior.Fit(mapNetwork, likelihood, train, laplaceOptions);
            priorPrecision[key] = posterior.PriorPrecision[0];
            logEvidence[key] = posterior.LogEvidence;
            return posterior;
        }
        Measure("laplace_kfac_probit", "last-layer KFAC Laplace, GLM probit, tuned prior", "post hoc", 1,
            () => Laplace("laplace_kfac_probit", PosthocRecipes.LastLayerKfac(GlmLink.Probit, tune: true, seed)));
        Measure("laplace_kfac_mc", $"last-layer KFAC Laplace, GLM Monte Carlo link (T = {samples}), tuned prior", "post hoc", samples,
            () => Laplace("laplace_kfac_mc", PosthocRecipes.LastLayerKfac(GlmLink.MonteCarlo, tune: true, seed)));
        Measure("laplace_kfac_untuned", "last-layer KFAC Laplace, GLM probit, untuned prior (training prior)", "post hoc", 1,
            () => Laplace("laplace_kfac_untuned", PosthocRecipes.LastLayerKfac(GlmLink.Probit, tune: false, seed)));
        Measure("laplace_kfac_mc_untuned", $"last-layer KFAC Laplace, GLM Monte Carlo link (T = {samples}), untuned prior", "post hoc",
            samples, () => Laplace("laplace_kfac_mc_untuned", PosthocRecipes.LastLayerKfac(GlmLink.MonteCarlo, tune: false, seed)));
        Measure("laplace_diagonal", "all-weights diagonal Laplace, GLM probit, tuned prior", "post hoc", 1,
            () => Laplace("laplace_diagonal", PosthocRecipes.AllWeightsDiagonal()));

        using var mapWeights = PosthocRecipes.Pack(declaration, mapNetwork);
        int swagDraws = PosthocRecipes.SwagDraws(quick);
        Measure("swag", $"SWAG from the MAP weights (K = {PosthocRecipes.Swag(quick).Rank}, {swagDraws} draws)", "post hoc", swagDraws,
            () => declaration.FitSwag(train, PosthocRecipes.Swag(quick, seed), ComputePolicy.Cpu, mapWeights));
        Measure("multiswag", $"MultiSWAG ({PosthocRecipes.MultiSwagMembers} members from scratch, {swagDraws} draws)", "training",
            swagDraws, () => declaration.FitMultiSwag(train, PosthocRecipes.MultiSwagMembers, PosthocRecipes.MultiSwag(quick, seed),
                ComputePolicy.Cpu));
        int sghmcDraws = 0;
        var sghmcOptions = PosthocRecipes.CyclicalSghmc(train.Count, quick, seed);
        Mcmc.SgmcmcPosterior? chain = null;
        Measure("sghmc", $"cyclical SGHMC from the MAP weights ({sghmcOptions.Cycles} cycles, temperature 1)", "post hoc", 0, () =>
        {
            chain = declaration.FitSgmcmc(train, sghmcOptions, ComputePolicy.Cpu, mapWeights);
            sghmcDraws = chain.Store.ChainCount * chain.Store.DrawsPerChain;
            return new DelegatePredictor((x, _) => chain.Predict(x, Math.Min(samples, sghmcDraws)));
        });
        int sghmcUsed = Math.Min(samples, sghmcDraws);
        if (rows[^1].Key == "sghmc") rows[^1] = rows[^1] with { Samples = sghmcUsed, Method = rows[^1].Method + $", {sghmcUsed} draws" };

        Measure("mc_dropout", $"MC dropout (shift recipe, T = {samples})", "training", samples,
            () => new MonteCarloPredictor(ClassifierTraining.TrainMCDropout(train, epochs, seed: 1, options)));
        Measure("bbb", $"Bayes by Backprop (T = {samples})", "training", samples, () => TrainBbb(train, epochs, options));
        const int members = 5;
        Measure("ensemble", "deep ensemble of 5 (adversarial training)", "training", members, () =>
            declaration.FitEnsemble(train, new EnsembleFitOptions(Members: members, Epochs: epochs, BatchSize: ClassifierTraining.BatchSize,
                    Seed: 1, AdversarialEpsilon: ClassifierTraining.AdversarialEpsilon), ComputePolicy.Cpu,
                (m, e) => options.Progress($"ensemble member {m + 1} epoch {e.Epoch}/{epochs}: loss {e.MeanLoss:F4} ({e.Seconds:F1} s)"))
                .Ensemble);

        var againstMap = rows.Where(r => r.Key != "map" && r.Probabilities is not null)
            .ToDictionary(r => r.Key, r => AgainstMap(r, mapFigures, test.Targets));
        string table = Table(rows, peakPerMethod, temperature, priorPrecision, againstMap);
        string tablePath = Path.Combine(options.OutputDirectory, "posthoc.md");
        File.WriteAllText(tablePath, table);
        Console.Error.WriteLine(table);
        return Figures(rows, mapFigures, peakPerMethod, temperature, priorPrecision, logEvidence, sghmcDraws, tablePath, train.Count,
            heldOut.Count, test.Count, epochs, samples, seed, againstMap);
    }

    /// <summary>The method's metrics minus MAP's on the same test digits, with paired-bootstrap standard errors.</summary>
    static IReadOnlyList<MetricDifference> AgainstMap(Row row, Row map, Tensor targets)
    {
        using var scope = NewDisposeScope();
        long n = targets.shape[0];
        Tensor Of(Row r) => tensor(r.Probabilities!, [n, r.Probabilities!.Length / n], ScalarType.Float64);
        return PairedBootstrap.Compare(Of(row), Of(map), targets, Resamples, bins: 15, seed: 1);
    }

    /// <summary>
    /// The bundled split: training digits 0-6,999 to train, 7,000-7,999 held out, the 2,000 test digits (quick: 512, 100, 100).
    /// </summary>
    static (LabeledData Train, LabeledData HeldOut, LabeledData Test) LoadSplit(bool quick)
    {
        using var all = Mnist.LoadSubset("train", policy: ComputePolicy.Cpu);
        using var allTest = Mnist.LoadSubset("test", policy: ComputePolicy.Cpu);
        const long trainRows = 7000;
        long heldOutRows = quick ? 100 : all.Count - trainRows;
        var train = all.Take(quick ? 512 : trainRows);
        var heldOut = new LabeledData(all.Inputs.narrow(0, trainRows, heldOutRows).clone(),
            all.Targets.narrow(0, trainRows, heldOutRows).clone());
        return (train, heldOut, allTest.Take(quick ? 100 : allTest.Count));
    }

    /// <summary>Bayes by Backprop as in the shift workload: local reparameterization, N(0, 1) prior, ρ₀ = −5, Adam 1e-3.</summary>
    static BayesianNetwork TrainBbb(LabeledData data, int epochs, BenchOptions options)
    {
        NativeEngine.Seed(1);
        var layer = new BayesLayerOptions(GradientEstimator.LocalReparameterization, PriorSpec.Normal(0, 1), InitialRho: -5);
        var bbb = BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(784, 400, layer), nn.ReLU(),
            BayesNN.BayesLinear(400, 400, layer), nn.ReLU(), BayesNN.BayesLinear(400, 10, layer));
        new Trainer(new TrainerOptions(Epochs: epochs, BatchSize: ClassifierTraining.BatchSize, LearningRate: 1e-3, Seed: 1))
            .Fit(bbb, data, onEpoch: e => options.Progress($"bbb epoch {e.Epoch}/{epochs}: loss {e.MeanLoss:F4} ({e.Seconds:F1} s)"));
        bbb.eval();
        return bbb;
    }

    /// <summary>Scores T = <paramref name="samples"/> predictions on the test digits, the turned digits and the noise images.</summary>
    static Row Evaluate(string key, string method, IStochasticPredictor predictor, int samples, LabeledData test, Tensor rotated,
        Tensor noise)
    {
        NativeEngine.Seed(2);
        using var clean = predictor.Predict(test.Inputs, samples);
        var scores = PredictiveScores.Compute(clean, test.Targets, bins: 15);
        double nllRotated, auroc;
        using (var turned = predictor.Predict(rotated, samples))
            nllRotated = PredictiveScores.Compute(turned, test.Targets, bins: 15).NegativeLogLikelihood;
        using (var ood = predictor.Predict(noise, samples))
            auroc = DatasetShift.OodAuroc(clean, ood);
        double[] probabilities;
        using (var mean = clean.Mean().to(ScalarType.Float64).cpu()) probabilities = mean.data<double>().ToArray();
        return new Row(key, method, samples, scores.Accuracy, scores.NegativeLogLikelihood, scores.ExpectedCalibrationError,
            scores.BrierScore, auroc, nllRotated, double.NaN, "", double.NaN)
        { Probabilities = probabilities };
    }

    /// <summary>A figure for the JSON line: rounded, or null when not finite (a failed method).</summary>
    static object Num(double v, int digits) => double.IsFinite(v) ? Math.Round(v, digits) : null!;

    static string F(double v, string format = "F4") => v.ToString(format, CultureInfo.InvariantCulture);

    static string Table(IReadOnlyList<Row> rows, bool peakPerMethod, double temperature, IReadOnlyDictionary<string, double> prior,
        IReadOnlyDictionary<string, IReadOnlyList<MetricDifference>> againstMap)
    {
        var text = new StringBuilder();
        text.AppendLine($"| method | accuracy | NLL | ECE | Brier | noise AUROC | NLL at {RotationDegrees:F0} deg | fit (s) | " +
                        "fit covers | " +
                        $"{(peakPerMethod ? "peak RSS (MB)" : "process peak RSS so far (MB)")} |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in rows)
            text.AppendLine($"| {r.Method} | {F(r.Accuracy)} | {F(r.Nll)} | {F(r.Ece)} | {F(r.Brier)} | {F(r.Auroc)} | " +
                            $"{F(r.NllRotated)} | " +
                            $"{F(r.FitSeconds, "F1")} | {r.FitCovers} | {F(r.PeakRssMb, "F0")} |");
        text.AppendLine();
        text.AppendLine($"Temperature T = {F(temperature, "F3")}; Laplace prior precision: " +
                        string.Join(", ", prior.Select(p => $"{p.Key} {F(p.Value, "G4")}")) + ".");
        text.AppendLine();
        text.AppendLine($"Against MAP on the same test digits (method minus MAP; paired bootstrap, {Resamples:N0} resamples: standard " +
                        "error, and the fraction of resamples in which the method's figure is below MAP's):");
        text.AppendLine();
        text.AppendLine("| method | NLL - MAP | SE | below MAP | ECE - MAP | SE | below MAP | accuracy - MAP | SE |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in rows.Where(r => againstMap.ContainsKey(r.Key)))
        {
            MetricDifference Of(string metric) => againstMap[r.Key].Single(m => m.Metric == metric);
            var (nll, ece, acc) = (Of("nll"), Of("ece"), Of("accuracy"));
            text.AppendLine($"| {r.Method} | {F(nll.Difference)} | {F(nll.StandardError)} | {F(nll.FractionBelowZero, "F3")} | " +
                            $"{F(ece.Difference)} | {F(ece.StandardError)} | {F(ece.FractionBelowZero, "F3")} | " +
                            $"{F(acc.Difference)} | {F(acc.StandardError)} |");
        }
        return text.ToString();
    }

    static Dictionary<string, object> Figures(IReadOnlyList<Row> rows, Row map, bool peakPerMethod, double temperature,
        IReadOnlyDictionary<string, double> prior, IReadOnlyDictionary<string, double> evidence, int sghmcDraws, string tablePath,
        long trainRows, long heldOutRows, long testRows, int epochs, int samples, long seed,
        IReadOnlyDictionary<string, IReadOnlyList<MetricDifference>> againstMap)
    {
        Row? Of(string key) => rows.SingleOrDefault(r => r.Key == key);
        bool KfacHolds(Row kfac) => kfac.Nll < map.Nll && kfac.Ece < map.Ece && Math.Abs(kfac.Accuracy - map.Accuracy) <= 0.003 &&
                                   kfac.FitSeconds < 0.1 * map.FitSeconds;
        var figures = new Dictionary<string, object>
        {
            ["methods"] = rows.ToDictionary(r => r.Key, r => (object)new Dictionary<string, object>
            {
                ["method"] = r.Method,
                ["accuracy"] = Num(r.Accuracy, 4),
                ["nll"] = Num(r.Nll, 4),
                ["ece"] = Num(r.Ece, 4),
                ["brier"] = Num(r.Brier, 4),
                ["ood_auroc_noise"] = Num(r.Auroc, 4),
                ["nll_rotated_60"] = Num(r.NllRotated, 4),
                ["fit_s"] = Num(r.FitSeconds, 2),
                ["fit_covers"] = r.FitCovers,
                ["peak_rss_mb"] = Num(r.PeakRssMb, 1),
                ["samples"] = r.Samples,
            }),
            ["peak_rss_per_method"] = peakPerMethod,
            ["temperature"] = Num(temperature, 4),
            ["laplace_prior_precision"] = prior.ToDictionary(p => p.Key, p => (object)Num(p.Value, 4)),
            ["laplace_log_evidence"] = evidence.ToDictionary(p => p.Key, p => (object)Math.Round(p.Value, 2)),
            ["sghmc_draws_kept"] = sghmcDraws,
            ["table"] = tablePath,
            ["train_images"] = trainRows,
            ["held_out_images"] = heldOutRows,
            ["test_images"] = testRows,
            ["epochs"] = epochs,
            ["samples"] = samples,
            ["prior_scale"] = PosthocRecipes.PriorScale,
            ["peak_rss_mb"] = Math.Round(rows.Max(r => r.PeakRssMb), 1),
            ["seed"] = seed,
            ["against_map"] = againstMap.ToDictionary(p => p.Key, p => (object)p.Value.ToDictionary(m => m.Metric, m => (object)new
                Dictionary<string, object>
            {
                ["difference"] = Num(m.Difference, 5),
                ["standard_error"] = Num(m.StandardError, 5),
                ["fraction_below_zero"] = Num(m.FractionBelowZero, 3),
            })),
        };
        // The criteria of issue 13, each where its methods ran (--methods).
        void Criterion(string name, Func<bool> holds, params string[] keys)
        {
            if (keys.All(k => Of(k) is not null)) figures[name] = holds();
        }
        Criterion("check_kfac_probit_nll_ece_below_map_acc_within_0_3_fit_below_10pct", () => KfacHolds(Of("laplace_kfac_probit")!),
            "laplace_kfac_probit");
        Criterion("check_kfac_mc_link_nll_ece_below_map_acc_within_0_3_fit_below_10pct", () => KfacHolds(Of("laplace_kfac_mc")!),
            "laplace_kfac_mc");
        Criterion("check_tuned_prior_nll_below_untuned", () => Of("laplace_kfac_probit")!.Nll < Of("laplace_kfac_untuned")!.Nll,
            "laplace_kfac_probit", "laplace_kfac_untuned");
        Criterion("check_tuned_prior_nll_below_untuned_mc_link", () => Of("laplace_kfac_mc")!.Nll < Of("laplace_kfac_mc_untuned")!.Nll,
            "laplace_kfac_mc", "laplace_kfac_mc_untuned");
        Criterion("check_swag_nll_below_map", () => Of("swag")!.Nll < map.Nll, "swag");
        Criterion("check_multiswag_nll_below_map", () => Of("multiswag")!.Nll < map.Nll, "multiswag");
        Criterion("check_sghmc_accuracy_at_least_map", () => Of("sghmc")!.Accuracy >= map.Accuracy, "sghmc");
        return figures;
    }
}
