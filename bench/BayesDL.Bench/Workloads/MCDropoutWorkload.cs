using System.Diagnostics;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Layers;
using BayesDL.Metrics;
using BayesDL.Plotting;
using BayesDL.Predictive;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// MC dropout (Gal &amp; Ghahramani 2016) on the repository's MNIST subset (8,000 / 2,000): the MLP 784-400-400-10 with
/// MC dropout 0.5 before each hidden weight layer (none on the pixels), trained 10 epochs (Adam 1e-3, batch 32, seed 1
/// or --seed N) in one call, <c>FitMCDropout</c>, with the length-scale prior and the α-divergence objective (see <see
/// cref="ClassifierTraining.TrainMCDropout"/> for the recipe and the measurements behind it). Test accuracy, NLL and
/// ECE of the T = 100 MC predictive and of the same network with dropout off; time of the T = 100 predictive over the
/// 2,000 test images vectorized (the first Linear + ReLU, deterministic, computed once per image; the rest on the
/// hidden activations replicated T times, in chunks sized by the predictor's memory budget) versus a plain loop of 100
/// full passes, and versus 4.7 s (a plain PyTorch loop on this kind of machine, 2 threads); peak RSS; AUROC of
/// predictive entropy for 2,000 uniform-noise images against the test images. Also the MC NLL with 10 T passes and the
/// delta-method estimate of the T-sample NLL's finite-sample bias, to tell a real MC-versus-dropout-off difference from
/// Monte Carlo noise.
/// </summary>
public sealed class MCDropoutWorkload : IMemoryRunWorkload
{
    const double PyTorchLoopSeconds = 4.7;

    public string Name => "mcdropout";
    public string Description => "MC dropout MLP 784-400-400-10 on MNIST subset: T=100 predictive vectorized vs loop, " +
        "NLL/ECE vs dropout off, noise OOD";

    /// <summary>
    /// The delta-method estimate of the upward bias of the T-sample predictive's NLL, mean over examples of
    /// Var_t[p_t(y)] / (2 T p̄(y)²), with p_t(y) the probability pass t gives the true class and p̄ their mean.
    /// </summary>
    static double FiniteSampleBias(PredictiveSamples predictive, Tensor targets)
    {
        using var scope = NewDisposeScope();
        long t = predictive.SampleCount;
        Tensor picked = predictive.Samples.to(ScalarType.Float64)
            .gather(2, targets.view(1, -1, 1).expand(t, -1, 1)).squeeze(2);   // [T, N]
        Tensor mean = picked.mean(new long[] { 0 }).clamp_min(1e-12);
        return (picked.var(0L) / (2.0 * t * mean.square())).mean().item<double>();
    }

    /// <summary>
    /// The memory run: the network trained as in the full run and its T = 100 vectorized MC predictive and dropout-off
    /// prediction on the test digits (seeded as in the full run, so the same accuracy and NLL). There is no bare loop.
    /// </summary>
    public IDictionary<string, object> RunMemory(BenchOptions options, MemoryPhases phases, bool bareLoop)
    {
        if (bareLoop) throw new ArgumentException("The mcdropout workload has no bare TorchSharp loop; use --library-only.");
        var split = ClassifierTraining.LoadSplit(options, quickTestRows: 500);
        using var data = split.Train;
        using var test = split.Test;
        int epochs = options.Quick ? 1 : 10, samples = options.Quick ? 10 : 100;
        phases.Mark("data");
        var model = ClassifierTraining.TrainMCDropout(data, epochs, seed: options.Seed, options);
        phases.Mark("trained");
        NativeEngine.Seed(2);
        using var mc = new MonteCarloPredictor(model).Predict(test.Inputs, samples);
        var (accuracy, nll, _, ece) = ClassifierTraining.Score(mc, test.Targets);
        MonteCarloMode.Set(model, false);
        using var deterministic = new MonteCarloPredictor(model).Predict(test.Inputs, 1);
        var (accDet, nllDet, _, _) = ClassifierTraining.Score(deterministic, test.Targets);
        phases.Mark("evaluated");
        options.Progress($"MC: acc {accuracy:F4} nll {nll:F4} ece {ece:F4} | dropout off: acc {accDet:F4} nll {nllDet:F4}");
        return new Dictionary<string, object>
        {
            ["test_accuracy"] = Math.Round(accuracy, 4),
            ["nll"] = Math.Round(nll, 4),
            ["ece"] = Math.Round(ece, 4),
            ["accuracy_deterministic"] = Math.Round(accDet, 4),
            ["nll_deterministic"] = Math.Round(nllDet, 4),
            ["samples"] = samples,
            ["epochs"] = epochs,
            ["seed"] = options.Seed,
        };
    }

    public IDictionary<string, object> Run(BenchOptions options)
    {
        var split = ClassifierTraining.LoadSplit(options, quickTestRows: 500);
        using var data = split.Train;
        using var test = split.Test;
        int epochs = options.Quick ? 1 : 10, samples = options.Quick ? 10 : 100;
        var model = ClassifierTraining.TrainMCDropout(data, epochs, seed: options.Seed, options);

        ProcessMemory.ReleaseFreedNativeMemory();
        options.Progress($"after training: RSS {ProcessMemory.RssMb():F0} MB, peak {ProcessMemory.PeakRssMb():F0} MB");
        var vectorized = new MonteCarloPredictor(model);
        var loop = new MonteCarloPredictor(model, options: new MonteCarloPredictionOptions(Vectorized: false));
        using (var warm = test.Inputs[..64]) { vectorized.Predict(warm, 4).Dispose(); loop.Predict(warm, 4).Dispose(); }

        NativeEngine.Seed(2);
        var clock = Stopwatch.StartNew();
        using var mc = vectorized.Predict(test.Inputs, samples);
        double predictSeconds = clock.Elapsed.TotalSeconds;
        long rowsPerPass = vectorized.RowsPerPass(test.Inputs);
        options.Progress($"vectorized T={samples}: {predictSeconds:F2} s ({rowsPerPass} replicated rows per pass, " +
            $"{vectorized.DeterministicPrefix} leading layers shared); peak RSS {ProcessMemory.PeakRssMb():F0} MB");
        ProcessMemory.ReleaseFreedNativeMemory();
        clock.Restart();
        using (var naive = loop.Predict(test.Inputs, samples)) { }
        double loopSeconds = clock.Elapsed.TotalSeconds;
        options.Progress($"loop of {samples} passes: {loopSeconds:F2} s; peak RSS {ProcessMemory.PeakRssMb():F0} MB");

        var (accuracy, nll, brier, ece) = ClassifierTraining.Score(mc, test.Targets);
        MonteCarloMode.Set(model, false);
        using var deterministic = new MonteCarloPredictor(model).Predict(test.Inputs, 1);
        var (accDet, nllDet, brierDet, eceDet) = ClassifierTraining.Score(deterministic, test.Targets);
        MonteCarloMode.Set(model, true);
        options.Progress($"MC: acc {accuracy:F4} nll {nll:F4} ece {ece:F4} | dropout off: acc {accDet:F4} nll {nllDet:F4} ece {eceDet:F4}");
        string reliabilityPng;
        using (var meanMC = mc.Mean())
        using (var meanDet = deterministic.Mean())
            reliabilityPng = ReliabilityPlot.Save(new[]
            {
                ($"MC dropout, T = {samples}", ReliabilityDiagram.Compute(meanMC, test.Targets, 15)),
                ("dropout off", ReliabilityDiagram.Compute(meanDet, test.Targets, 15)),
            }, Path.Combine(options.OutputDirectory, "mcdropout-reliability.png"), "MC dropout on the MNIST test split");

        // NLL of a T-sample predictive is biased upwards (Jensen): E[-log p̂_T] ≈ -log p + Var_t[p_t] / (2 T p²) by the delta
        // method. Its estimate from the T draws, and the NLL with 10 T passes, say how much of the MC figure is finite T.
        double jensenBias = FiniteSampleBias(mc, test.Targets);
        NativeEngine.Seed(4);
        double nllTenfold;
        using (var moreSamples = vectorized.Predict(test.Inputs, 10 * samples))
            nllTenfold = ClassifierTraining.Score(moreSamples, test.Targets).Nll;
        options.Progress($"MC NLL with T={samples}: {nll:F4} (estimated finite-T bias {jensenBias:F4}); with " +
            $"T={10 * samples}: {nllTenfold:F4}");

        using var noise = ClassifierTraining.NoiseImages(test.Count, seed: 7);
        NativeEngine.Seed(3);
        using var noisePredictive = vectorized.Predict(noise, samples);
        double auroc = DatasetShift.OodAuroc(mc, noisePredictive);
        options.Progress($"noise OOD AUROC by predictive entropy: {auroc:F4}");

        return new Dictionary<string, object>
        {
            ["test_accuracy"] = Math.Round(accuracy, 4),
            ["nll"] = Math.Round(nll, 4),
            ["ece"] = Math.Round(ece, 4),
            ["brier"] = Math.Round(brier, 4),
            ["accuracy_deterministic"] = Math.Round(accDet, 4),
            ["nll_deterministic"] = Math.Round(nllDet, 4),
            ["nll_finite_t_bias_estimate"] = Math.Round(jensenBias, 5),
            ["nll_tenfold_samples"] = Math.Round(nllTenfold, 4),
            ["ece_deterministic"] = Math.Round(eceDet, 4),
            ["brier_deterministic"] = Math.Round(brierDet, 4),
            ["predict_s"] = Math.Round(predictSeconds, 3),
            ["naive_loop_s"] = Math.Round(loopSeconds, 3),
            ["speedup"] = Math.Round(loopSeconds / predictSeconds, 3),
            ["pytorch_loop_reference_s"] = PyTorchLoopSeconds,
            ["speedup_vs_pytorch_loop"] = Math.Round(PyTorchLoopSeconds / predictSeconds, 3),
            ["rows_per_pass"] = rowsPerPass,
            ["peak_rss_mb"] = Math.Round(ProcessMemory.PeakRssMb(), 1),
            ["ood_auroc_noise"] = Math.Round(auroc, 4),
            ["png_reliability"] = reliabilityPng,
            ["samples"] = samples,
            ["epochs"] = epochs,
            ["batch_size"] = ClassifierTraining.BatchSize,
            ["seed"] = options.Seed,
            ["input_dropout"] = ClassifierTraining.MCInputDropout,
            ["hidden_dropout"] = ClassifierTraining.MCHiddenDropout,
            ["prior_length_scale"] = ClassifierTraining.MCLengthScale,
            ["alpha"] = ClassifierTraining.MCAlpha,
            ["training_masks"] = ClassifierTraining.MCTrainingMasks,
            ["shared_prefix_layers"] = vectorized.DeterministicPrefix,
            ["test_images"] = test.Count,
        };
    }
}
