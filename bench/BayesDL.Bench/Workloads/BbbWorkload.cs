using System.Diagnostics;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Metrics;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Training;
using TorchSharp;
using TorchSharp.Modules;
using static BayesDL.Bench.Statistic;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Bayes by Backprop on the repository's MNIST subset (8,000 train / 2,000 test): MLP 784-400-400-10, N(0, 1)
/// prior, local reparameterization, rho = -5, KL/N scaling, Adam 1e-3, batch 128, one weight sample, 10 epochs.
/// Each BayesDL epoch is followed by one epoch of the same model written as a bare TorchSharp loop, so both see
/// the same machine load; reported are their mean seconds per epoch and the ratio. Then test accuracy, ECE, NLL
/// (50 weight draws), mutual information on clean and 90-degree-rotated test digits with the AUROC separating
/// them, and resident memory after steps 500 and 5,000 of a further continuous training run.
/// </summary>
public sealed class BbbWorkload : IMemoryRunWorkload
{
    public string Name => "bbb";
    public string Description => "Bayes by Backprop MLP 784-400-400-10 on MNIST subset vs raw TorchSharp; " +
        "accuracy, ECE, MI on rotated digits, RSS";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        var policy = ComputePolicy.Cpu;
        using var train = Mnist.LoadSubset("train", policy: policy);
        using var test = Mnist.LoadSubset("test", policy: policy);
        using var trainPart = options.Quick ? train.Take(1024) : null;
        var data = trainPart ?? train;
        int epochs = options.Quick ? 2 : 10, memorySteps = options.Quick ? 100 : 5000, probeStep = options.Quick ? 20 : 500;

        var model = CreateModel();
        var raw = new RawTorchSharpBbb(data, 128);
        var rawSeconds = new List<double>();
        var rss = new Dictionary<long, double>();
        var trainer = new Trainer(new TrainerOptions(Epochs: epochs, BatchSize: 128, LearningRate: 1e-3, Seed: 1));
        var history = trainer.Fit(model, data, onEpoch: e =>
        {
            double r = raw.Epoch();
            rawSeconds.Add(r);
            options.Progress($"epoch {e.Epoch}: BayesDL {e.Seconds:F2} s, raw {r:F2} s, loss {e.MeanLoss:F4}, KL {e.KL:F0}");
        });
        // Median over epochs: robust to other processes on the shared machine.
        double ours = Median(history.Select(h => h.Seconds)), rawMedian = Median(rawSeconds);

        using var scope = NewDisposeScope();
        const int draws = 50;
        using var clean = model.Predict(test.Inputs, draws);
        Tensor rotatedInputs = test.Inputs.view(-1, 28, 28).rot90(1, (1, 2)).reshape(-1, 784);
        using var rotated = model.Predict(rotatedInputs, draws);
        Tensor probs = clean.Mean();
        var reliability = ReliabilityDiagram.Compute(probs, test.Targets);
        Tensor miClean = clean.MutualInformation(), miRotated = rotated.MutualInformation();
        double accuracy = ClassificationMetrics.Accuracy(probs, test.Targets);
        options.Progress($"test accuracy {accuracy:F4}, ECE {reliability.ExpectedCalibrationError:F4}");

        // Memory: a continuous run of memorySteps further training steps after evaluation (so one-off peaks of the
        // evaluation and the raw loop are behind both probes); RSS after its step 500 and its last step.
        long perEpoch = (data.Count + 127) / 128;
        var more = new Trainer(new TrainerOptions(Epochs: (int)((memorySteps + perEpoch - 1) / perEpoch), BatchSize: 128, Seed: 2));
        more.Fit(model, data, onStep: s =>
        {
            Probe(s.Step, probeStep, memorySteps, rss);
            if (s.Step % 1000 == 0) options.Progress($"memory run: step {s.Step}, RSS {ProcessMemory.RssMb():F1} MB");
        });
        options.Progress($"RSS after {probeStep} steps {rss.GetValueOrDefault(probeStep):F1} MB, after {memorySteps} steps " +
            $"{rss.GetValueOrDefault(memorySteps):F1} MB");

        return new Dictionary<string, object>
        {
            ["s_per_epoch"] = Math.Round(ours, 4),
            ["raw_s_per_epoch"] = Math.Round(rawMedian, 4),
            ["ratio_vs_raw"] = Math.Round(ours / rawMedian, 4),
            ["pytorch_reference_s_per_epoch"] = 1.1,
            ["ratio_vs_pytorch_reference"] = Math.Round(ours / 1.1, 3),
            ["test_accuracy"] = Math.Round(accuracy, 4),
            ["ece"] = Math.Round(reliability.ExpectedCalibrationError, 4),
            ["nll"] = Math.Round(ClassificationMetrics.NegativeLogLikelihood(probs, test.Targets), 4),
            ["brier"] = Math.Round(ClassificationMetrics.BrierScore(probs, test.Targets), 4),
            ["mi_clean"] = Math.Round(miClean.mean().item<float>(), 5),
            ["mi_rotated90"] = Math.Round(miRotated.mean().item<float>(), 5),
            ["auroc_rotated90"] = Math.Round(Auroc.Compute(miClean, miRotated), 4),
            ["rss_mb_step500"] = Math.Round(rss.GetValueOrDefault(probeStep), 1),
            ["rss_mb_step5000"] = Math.Round(rss.GetValueOrDefault(memorySteps), 1),
            ["epochs"] = epochs,
            ["predictive_draws"] = draws,
        };
    }

    /// <summary>The network: 784-400-400-10, N(0, 1) prior, local reparameterization, rho = -5, initialised from seed 1.</summary>
    static BayesianNetwork CreateModel() => CreateModelAndLayers().Model;

    /// <summary>The workload's model, initialised from seed 1, and its modules in order (bbb-phases steps them one by one).</summary>
    internal static (BayesianNetwork Model, IReadOnlyList<nn.Module<Tensor, Tensor>> Layers) CreateModelAndLayers()
    {
        NativeEngine.Seed(1);
        var layer = new BayesLayerOptions(GradientEstimator.LocalReparameterization, PriorSpec.Normal(0, 1), InitialRho: -5);
        var modules = new nn.Module<Tensor, Tensor>[]
        {
            BayesNN.BayesLinear(784, 400, layer), nn.ReLU(), BayesNN.BayesLinear(400, 400, layer), nn.ReLU(),
            BayesNN.BayesLinear(400, 10, layer),
        };
        return (BayesianNetwork.Create(Likelihood.Categorical(), modules), modules);
    }

    /// <summary>
    /// The memory run: the library's model alone (the same recipe, without the bare loop's epochs in between, which draw from
    /// the same global generator, so the figures differ from the full run's by seed noise) and its evaluation (50 weight draws
    /// on the clean and the turned test digits); or the bare TorchSharp loop alone and the same evaluation of its weights.
    /// </summary>
    public IDictionary<string, object> RunMemory(BenchOptions options, MemoryPhases phases, bool bareLoop)
    {
        using var train = Mnist.LoadSubset("train", policy: ComputePolicy.Cpu);
        using var test = Mnist.LoadSubset("test", policy: ComputePolicy.Cpu);
        using var trainPart = options.Quick ? train.Take(1024) : null;
        var data = trainPart ?? train;
        int epochs = options.Quick ? 2 : 10;
        const int draws = 50;
        phases.Mark("data");
        using var rotatedInputs = test.Inputs.view(-1, 28, 28).rot90(1, (1, 2)).reshape(-1, 784);
        var figures = new Dictionary<string, object> { ["epochs"] = epochs, ["predictive_draws"] = draws };
        if (bareLoop)
        {
            NativeEngine.Seed(1);
            var raw = new RawTorchSharpBbb(data, 128);
            for (int e = 0; e < epochs; e++) options.Progress($"bare loop epoch {e + 1}: {raw.Epoch():F2} s");
            phases.Mark("trained");
            NativeEngine.Seed(2);
            using var scope = NewDisposeScope();
            Tensor probs = raw.PredictiveMean(test.Inputs, draws);
            raw.PredictiveMean(rotatedInputs, draws);
            figures["test_accuracy"] = Math.Round(ClassificationMetrics.Accuracy(probs, test.Targets), 4);
            figures["nll"] = Math.Round(ClassificationMetrics.NegativeLogLikelihood(probs, test.Targets), 4);
        }
        else
        {
            var model = CreateModel();
            // --predict-row-budget N: rows per forward pass of the predictive (BayesianNetwork.PredictRowBudget, default 16,384);
            // a smaller budget holds smaller activations at once but draws the weight noise in another order (other MC draws).
            if (options.Value("--predict-row-budget") is { } budget)
                model.PredictRowBudget = long.Parse(budget, System.Globalization.CultureInfo.InvariantCulture);
            figures["predict_row_budget"] = model.PredictRowBudget;
            var history = new Trainer(new TrainerOptions(Epochs: epochs, BatchSize: 128, LearningRate: 1e-3, Seed: 1))
                .Fit(model, data, onEpoch: e => options.Progress($"epoch {e.Epoch}: {e.Seconds:F2} s, loss {e.MeanLoss:F4}"));
            phases.Mark("trained");
            NativeEngine.Seed(2);
            using var scope = NewDisposeScope();
            using var clean = model.Predict(test.Inputs, draws);
            using var rotated = model.Predict(rotatedInputs, draws);
            Tensor probs = clean.Mean();
            Tensor miClean = clean.MutualInformation(), miRotated = rotated.MutualInformation();
            figures["final_train_loss"] = Math.Round(history[^1].MeanLoss, 4);
            figures["test_accuracy"] = Math.Round(ClassificationMetrics.Accuracy(probs, test.Targets), 4);
            figures["nll"] = Math.Round(ClassificationMetrics.NegativeLogLikelihood(probs, test.Targets), 4);
            figures["ece"] = Math.Round(ReliabilityDiagram.Compute(probs, test.Targets).ExpectedCalibrationError, 4);
            figures["auroc_rotated90"] = Math.Round(Auroc.Compute(miClean, miRotated), 4);
        }
        phases.Mark("evaluated");
        options.Progress($"test accuracy {figures["test_accuracy"]}, NLL {figures["nll"]}");
        return figures;
    }

    static void Probe(long step, long first, long last, Dictionary<long, double> rss)
    {
        if (step != first && step != last) return;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        rss[step] = ProcessMemory.RssMb();
    }
}
