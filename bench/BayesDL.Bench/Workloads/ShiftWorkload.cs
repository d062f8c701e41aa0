using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Layers;
using BayesDL.Metrics;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Plotting;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Training;
using Spectre.Console;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Dataset shift on rotated MNIST (Ovadia et al. 2019) for eight methods trained on the repository's 8,000
/// training digits (MLP 784-400-400-10, Adam 1e-3, batch 32, 10 epochs), each through the library's own fit: a
/// deterministic softmax network (plain NLL, seed 1: <c>FitEnsemble</c> with one member); MC dropout as in the mcdropout
/// workload (0.5 before each hidden weight layer, length-scale prior, α-divergence objective:
/// <see cref="ClassifierTraining.TrainMCDropout"/>, <c>FitMCDropout</c>); concrete dropout before all three weight layers
/// (the builders' ConcreteDropout family fitted by the ELBO: initial p 0.1, learned; prior N(0, 100²), i.e. length-scale
/// 1e-2, the paper's regularizer with N = 8,000); Bayes by Backprop (local reparameterization, N(0, 1) prior:
/// <see cref="Trainer"/>); a deep ensemble of 5 networks (<c>FitEnsemble</c>, seeds 1-5, each trained with NLL plus
/// fast-gradient-sign adversarial training, ε = 0.01, as in Lakshminarayanan et al. 2017); and three posteriors around the
/// deterministic network, with the posthoc workload's settings (<see cref="PosthocRecipes"/>): last-layer KFAC Laplace with the
/// GLM probit predictive and the evidence-tuned prior (<c>FitLaplace</c>), SWAG from its weights (<c>FitSwag</c>, 30 draws) and
/// cyclical SGHMC from its weights (<c>FitSgmcmc</c>, at most T draws). Stochastic methods use T = 100 predictions
/// (BAYESDL_SHIFT_SAMPLES overrides). The 2,000 test digits are rotated 0-180 degrees in 15-degree steps; per angle accuracy, NLL,
/// Brier, ECE and mean predictive entropy; 2,000 uniform-noise images give the OOD AUROC by predictive entropy. Prints the table
/// to stderr and writes one PNG line plot per metric. Freed native memory is handed back to the OS after each training run and each
/// prediction (<see cref="ProcessMemory.ReleaseFreedNativeMemory"/>): without it the peak RSS reached ~3 GB, almost all of
/// it heap memory glibc kept after libtorch freed it (about 150 MB per T = 100 prediction before the MC predictor
/// preallocated its output), not live tensors. Before the posteriors around the deterministic network came in, the peak
/// (~950 MB at 1 thread) was reached while Bayes by Backprop predicted (its own chunking, 16,384 rows per pass; 4,096 did not lower
/// it). Measured on 2026-12-03 (1 thread): 978 MB after the three posteriors were fitted, 1,495 MB while concrete dropout predicted,
/// and 3,341 MB while cyclical SGHMC predicted with its 75 draws (RSS 1,935 MB after it; where that memory goes was not
/// investigated).
/// </summary>
public sealed class ShiftWorkload : IWorkload
{
    public string Name => "shift";
    public string Description =>
        "rotated-MNIST shift table + noise OOD AUROC: deterministic, MC dropout, concrete dropout, BBB, ensemble of 5, Laplace, SWAG, "
        + "SGHMC";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        var split = ClassifierTraining.LoadSplit(options, quickTestRows: 300);
        using var data = split.Train;
        using var test = split.Test;
        int epochs = options.Quick ? 1 : 10, samples = options.Quick ? 10 : SamplesFromEnvironment(), members = 5;
        using var noise = ClassifierTraining.NoiseImages(test.Count, seed: 7);

        var mlp = ModelBuilder.Sequential().Linear(784, 400).Relu().Linear(400, 400).Relu().Linear(400, 10)
            .WithLikelihood(Likelihoods.Categorical());
        var deterministic = mlp.FitEnsemble(data,
            new EnsembleFitOptions(Members: 1, Epochs: epochs, BatchSize: ClassifierTraining.BatchSize, Seed: 1), ComputePolicy.Cpu,
            (_, e) => options.Progress($"deterministic epoch {e.Epoch}/{epochs}: loss {e.MeanLoss:F4} ({e.Seconds:F1} s)"));
        ProcessMemory.ReleaseFreedNativeMemory();
        Memory(options, "deterministic trained");

        var ensemble = mlp.FitEnsemble(data, new EnsembleFitOptions(Members: members, Epochs: epochs,
                BatchSize: ClassifierTraining.BatchSize, Seed: 1, AdversarialEpsilon: ClassifierTraining.AdversarialEpsilon),
            ComputePolicy.Cpu,
            (m, e) => options.Progress($"ensemble member {m + 1} epoch {e.Epoch}/{epochs}: loss {e.MeanLoss:F4} ({e.Seconds:F1} s)"));
        ProcessMemory.ReleaseFreedNativeMemory();
        Memory(options, "ensemble trained");

        var mcModel = ClassifierTraining.TrainMCDropout(data, epochs, seed: 1, options);
        ProcessMemory.ReleaseFreedNativeMemory();
        Memory(options, "mc dropout trained");

        NativeEngine.Seed(1);
        var concrete = mlp.WithPrior(Priors.Normal(0, 1 / ConcreteLengthScale)).WithVariational(VariationalFamily.ConcreteDropout)
            .Build(ComputePolicy.Cpu);
        foreach (var e in concrete.Fit(data, new VariationalFitOptions(Epochs: epochs, BatchSize: ClassifierTraining.BatchSize, Seed: 1)))
            options.Progress($"concrete-dropout epoch {e.Epoch}/{epochs}: loss {e.MeanLoss:F4} ({e.Seconds:F1} s)");
        double[] learnedP = concrete.Network.modules().OfType<VariationalConcreteDropout>()
            .Select(l => Math.Round(l.DropoutProbability, 4)).ToArray();
        options.Progress($"concrete dropout learned p per layer: {string.Join(", ", learnedP)}");

        NativeEngine.Seed(1);
        var bayesLayer = new BayesLayerOptions(GradientEstimator.LocalReparameterization, PriorSpec.Normal(0, 1), InitialRho: -5);
        var bbb = BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(784, 400, bayesLayer), nn.ReLU(),
            BayesNN.BayesLinear(400, 400, bayesLayer), nn.ReLU(), BayesNN.BayesLinear(400, 10, bayesLayer));
        new Trainer(new TrainerOptions(Epochs: epochs, BatchSize: ClassifierTraining.BatchSize, LearningRate: 1e-3, Seed: 1))
            .Fit(bbb, data, onEpoch: e => options.Progress($"bbb epoch {e.Epoch}/{epochs}: loss {e.MeanLoss:F4} ({e.Seconds:F1} s)"));
        bbb.eval();
        ProcessMemory.ReleaseFreedNativeMemory();
        Memory(options, "bbb trained");

        // Posteriors around the deterministic network (the MAP of a flat prior: trained without weight decay), each by its library fit.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var laplace = deterministic.Ensemble.FitLaplace(0, data, PosthocRecipes.LastLayerKfac(GlmLink.Probit, tune: true));
        options.Progress($"laplace fitted in {clock.Elapsed.TotalSeconds:F1} s, prior precision {laplace.PriorPrecision[0]:G4}");
        var declaration = PosthocRecipes.Declaration();
        using var start = PosthocRecipes.Pack(declaration, (Sequential)deterministic.Ensemble.Members[0]);
        clock.Restart();
        using var swag = declaration.FitSwag(data, PosthocRecipes.Swag(options.Quick), ComputePolicy.Cpu, start);
        options.Progress($"swag fitted in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        var sghmc = declaration.FitSgmcmc(data, PosthocRecipes.CyclicalSghmc(data.Count, options.Quick), ComputePolicy.Cpu, start);
        int sghmcDraws = Math.Min(samples, sghmc.Store.ChainCount * sghmc.Store.DrawsPerChain);
        options.Progress($"cyclical sghmc fitted in {clock.Elapsed.TotalSeconds:F1} s, {sghmcDraws} draws used");
        ProcessMemory.ReleaseFreedNativeMemory();
        Memory(options, "posteriors around the deterministic network fitted");

        var methods = new (string Name, IStochasticPredictor Predictor, int Samples)[]
        {
            ("deterministic", deterministic.Ensemble, 1),
            ("mc-dropout", new MonteCarloPredictor(mcModel), samples),
            ("concrete-dropout", concrete.Network, samples),
            ("bbb", bbb, samples),
            ("ensemble-5", ensemble.Ensemble, members),
            ("laplace-kfac", laplace, 1),
            ("swag", swag, PosthocRecipes.SwagDraws(options.Quick)),
            ("cyclical-sghmc", sghmc, sghmcDraws),
        };
        var curves = new List<ShiftCurve>();
        foreach (var (name, predictor, t) in methods)
        {
            NativeEngine.Seed(2);
            curves.Add(DatasetShift.Evaluate(name, new TrimmingPredictor(predictor), t, test, noise,
                progress: options.Progress));
            Memory(options, name + " evaluated");
        }

        WriteTable(curves);
        var plots = ShiftPlots.Save(curves, options.OutputDirectory, "shift");
        var byMethod = curves.ToDictionary(c => c.Method, c => (object)new Dictionary<string, object>
        {
            ["accuracy"] = Round(c.Accuracy),
            ["nll"] = Round(c.Nll),
            ["brier"] = Round(c.Brier),
            ["ece"] = Round(c.Ece),
            ["entropy"] = Round(c.Entropy),
            ["ood_auroc_noise"] = Math.Round(c.OodAuroc, 4),
        });
        int at60 = Array.IndexOf(curves[0].Angles, 60.0), at90 = Array.IndexOf(curves[0].Angles, 90.0);
        var mc = curves.Single(c => c.Method == "mc-dropout");
        var det = curves.Single(c => c.Method == "deterministic");
        return new Dictionary<string, object>
        {
            ["angles"] = curves[0].Angles,
            ["methods"] = byMethod,
            ["ood_auroc_noise"] = curves.ToDictionary(c => c.Method, c => (object)Math.Round(c.OodAuroc, 4)),
            ["png"] = plots,
            ["concrete_dropout_p"] = learnedP,
            ["check_entropy_60_and_90_above_0_all_methods"] =
                curves.All(c => c.Entropy[at60] > c.Entropy[0] && c.Entropy[at90] > c.Entropy[0]),
            ["check_mc_nll60_below_deterministic"] = mc.Nll[at60] < det.Nll[at60],
            ["check_auroc_mc_and_ensemble_at_least_0_9"] =
                mc.OodAuroc >= 0.9 && curves.Single(c => c.Method == "ensemble-5").OodAuroc >= 0.9,
            ["samples"] = samples,
            ["epochs"] = epochs,
            ["test_images"] = test.Count,
            ["peak_rss_mb"] = Math.Round(ProcessMemory.PeakRssMb(), 1),
        };
    }

    /// <summary>Concrete dropout's prior length-scale l (prior N(0, l⁻²)), as in Gal, Hron &amp; Kendall's MNIST experiments.</summary>
    const double ConcreteLengthScale = 1e-2;

    static void Memory(BenchOptions options, string stage) =>
        options.Progress($"{stage}: RSS {ProcessMemory.RssMb():F0} MB, peak {ProcessMemory.PeakRssMb():F0} MB");

    /// <summary>T for the stochastic methods: BAYESDL_SHIFT_SAMPLES if set, else 100.</summary>
    static int SamplesFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("BAYESDL_SHIFT_SAMPLES"), out int t) && t > 0 ? t : 100;

    static double[] Round(double[] v) => v.Select(x => Math.Round(x, 4)).ToArray();

    /// <summary>
    /// The shift table to stderr: one block per metric with angles as rows and methods as columns, then the
    /// noise-OOD AUROC per method.
    /// </summary>
    static void WriteTable(IReadOnlyList<ShiftCurve> curves)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Profile.Width = Math.Max(console.Profile.Width, 120);
        foreach (string metric in ShiftCurve.MetricNames)
        {
            var table = new Table().Title($"Rotated MNIST: {metric}");
            table.AddColumn(new TableColumn("angle").RightAligned());
            foreach (var c in curves) table.AddColumn(new TableColumn(c.Method).RightAligned());
            for (int i = 0; i < curves[0].Angles.Length; i++)
                table.AddRow(new[] { $"{curves[0].Angles[i]:F0}" }
                    .Concat(curves.Select(c => c.Metric(metric)[i].ToString("F4"))).ToArray());
            console.Write(table);
        }
        var ood = new Table().Title("Noise-image OOD AUROC by predictive entropy");
        foreach (var c in curves) ood.AddColumn(new TableColumn(c.Method).RightAligned());
        ood.AddRow(curves.Select(c => c.OodAuroc.ToString("F4")).ToArray());
        console.Write(ood);
    }
}
