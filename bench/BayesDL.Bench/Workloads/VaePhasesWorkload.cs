using System.Diagnostics;
using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.KL;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Training;
using TorchSharp;
using static BayesDL.Bench.Statistic;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Where a VAE training step spends its time: the vae workload's model stepped by the library's pieces (the steps of
/// <see cref="Vae.Elbo"/> and of the <see cref="Training.Trainer"/>, each timed with a stopwatch; CPU kernels run synchronously)
/// next to the bare TorchSharp loop, steps interleaved so all see the same machine load. The library's pieces run twice, on two
/// copies of the model: as the Trainer steps now (gradients freed, <c>InPlaceAdamStep</c>, the KL from the log variance) and
/// as it stepped before (TorchSharp's Adam after zeroing the gradients, the KL registry's Normal || Normal form). Also times
/// the whole library epoch (<see cref="VaeFitting"/>'s VAE fit, through the one training loop) as the vae workload runs it.
/// </summary>
public sealed class VaePhasesWorkload : IWorkload
{
    public string Name => "vae-phases";
    public string Description => "MNIST VAE: milliseconds per training-step phase, library pieces vs bare TorchSharp";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        int epochs = options.Quick ? 1 : 4;
        var policy = ComputePolicy.Default;
        using var train = Mnist.LoadSubset("train", policy: policy);
        Tensor x = train.Inputs;
        long n = x.shape[0], batchSize = 128;

        NativeEngine.Seed(1);
        var vae = policy.Apply(VaeBench.MlpVae(20));
        var vaeParameters = vae.parameters().ToList();
        using var libOpt = optim.Adam(vaeParameters, 1e-3);
        NativeEngine.Seed(1);
        var vaeBefore = policy.Apply(VaeBench.MlpVae(20));
        using var beforeOpt = optim.Adam(vaeBefore.parameters(), 1e-3);
        using var raw = RawTorchSharpVae.Create(x, seed: 1);
        var rawOpt = raw.Optimizer;
        var fitModel = policy.Apply(VaeBench.MlpVae(20));
        using var fitOpt = optim.Adam(fitModel.parameters(), 1e-3);
        // Per-step milliseconds of each phase; medians resist the preemptions of a shared machine.
        var lib = new Dictionary<string, List<double>>();
        var libBefore = new Dictionary<string, List<double>>();
        var bare = new Dictionary<string, List<double>>();
        var call = new Dictionary<string, List<double>>();
        var sw = new Stopwatch();
        void Lap(Dictionary<string, List<double>> into, string phase)
        {
            if (!into.TryGetValue(phase, out var list)) into[phase] = list = new List<double>();
            list.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
        }

        long step = 0;
        for (int e = 0; e < epochs; e++)
        {
            using var perm = randperm(n, device: x.device);
            for (long s = 0; s < n; s += batchSize, step++)
            {
                // The four variants take turns within each step, in a rotating order, so that they see the same machine
                // load and the same share of cold caches (each one's first op follows another model's Adam step).
                void Pieces(Vae model, Dictionary<string, List<double>> into, bool inPlace)
                {
                    using var scope = NewDisposeScope();
                    sw.Restart();
                    Tensor xb = x[perm[TensorIndex.Slice(s, Math.Min(n, s + batchSize))]];
                    Lap(into, "gather");
                    if (inPlace) foreach (var p in vaeParameters) p.grad = null;
                    else beforeOpt.zero_grad();
                    Lap(into, inPlace ? "free_grads" : "zero_grad");
                    // The fits check the whole training set's support once; the step before did it per minibatch.
                    if (!inPlace) model.Likelihood.CheckSupport(xb, "Vae");
                    Lap(into, "check_support");
                    var (q, logVariance) = model.Head.PosteriorAndLogVariance(model.Encoder.forward(xb));
                    Lap(into, "encode");
                    Tensor z = q.RSample(1);
                    Lap(into, "rsample");
                    Tensor logits = model.Decode(z);
                    Lap(into, "decode");
                    Tensor rec = model.Likelihood.LogLikelihood(logits, xb).mean(new long[] { 0 });
                    Lap(into, "log_likelihood");
                    // The ELBO's KL to N(0, I) now (from the log variance), and the registry's Normal || Normal form before.
                    Tensor kl = inPlace ? LatentKL.ToStandardNormal(q.Loc, logVariance)
                                        : KLDivergence.Analytic(q, model.Prior(xb));
                    Lap(into, "kl");
                    var terms = VaeElbo.Compute(rec, kl, null, step);
                    Lap(into, "combine");
                    terms.Loss.detach().to(ScalarType.Float64).item<double>();
                    Lap(into, "item");
                    terms.Loss.backward();
                    Lap(into, "backward");
                    if (inPlace) InPlaceAdamStep.Step(libOpt);
                    else beforeOpt.step();
                    Lap(into, inPlace ? "in_place_adam_step" : "adam_step");
                }
                void Bare()
                {
                    using var scope = NewDisposeScope();
                    sw.Restart();
                    Tensor xb = x[perm[TensorIndex.Slice(s, Math.Min(n, s + batchSize))]];
                    Lap(bare, "gather");
                    rawOpt.zero_grad();
                    Lap(bare, "zero_grad");
                    var (logits, mu, logvar) = raw.forward(xb);
                    Lap(bare, "forward");
                    Tensor bce = nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction: nn.Reduction.Sum);
                    Tensor kld = -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum();
                    Tensor loss = (bce + kld) / xb.shape[0];
                    Lap(bare, "loss");
                    loss.backward();
                    Lap(bare, "backward");
                    rawOpt.step();
                    Lap(bare, "adam_step");
                }
                void Call()
                {
                    using var scope = NewDisposeScope();
                    sw.Restart();
                    Tensor xb = x[perm[TensorIndex.Slice(s, Math.Min(n, s + batchSize))]];
                    fitOpt.zero_grad();
                    Lap(call, "gather_zero_grad");
                    Tensor loss = fitModel.Elbo(xb, step: step).Loss;
                    Lap(call, "elbo_call");
                    loss.detach().to(ScalarType.Float64).item<double>();
                    loss.backward();
                    Lap(call, "backward");
                    fitOpt.step();
                    Lap(call, "adam_step");
                }
                Action[] turns = { () => Pieces(vae, lib, inPlace: true), () => Pieces(vaeBefore, libBefore, inPlace: false), Bare, Call };
                for (int i = 0; i < turns.Length; i++) turns[(step + i) % turns.Length]();
            }
            options.Progress($"epoch {e + 1} done");
        }
        long steps = step;
        static double[] StepTotals(Dictionary<string, List<double>> d) =>
            Enumerable.Range(0, d.Values.First().Count).Select(i => d.Values.Sum(l => l[i])).ToArray();

        // Whole epochs, alternating: the library epoch exactly as the vae workload runs it (VaeFitting.Fit)
        // and the raw loop's, with the garbage collections and the resident memory each one leaves.
        var fitSeconds = new List<double>();
        var rawSeconds = new List<double>();
        var fitGc = new List<int>();
        var rawGc = new List<int>();
        var rss = new List<double>();
        var fitWatch = Stopwatch.StartNew();
        int gcBefore = GC.CollectionCount(0);
        VaeFitting.Fit(fitModel, x, new VariationalFitOptions(options.Quick ? 1 : 6, 128, 1e-3, Seed: 1),
            _ =>
            {
                fitSeconds.Add(fitWatch.Elapsed.TotalSeconds);
                fitGc.Add(GC.CollectionCount(0) - gcBefore);
                gcBefore = GC.CollectionCount(0);
                rawSeconds.Add(raw.TrainEpoch(x));
                rawGc.Add(GC.CollectionCount(0) - gcBefore);
                rss.Add(Math.Round(ProcessMemory.RssMb(), 1));
                gcBefore = GC.CollectionCount(0);
                fitWatch.Restart();
            });

        // Memory: resident set after each epoch of each loop run alone, and what a forced garbage collection (which runs
        // the finalizers of tensors that escaped every dispose scope) gives back: ~0 when every tensor is disposed.
        static double Rss() => Math.Round(ProcessMemory.RssMb(), 1);
        static double RssAfterCollect() { GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); return Rss(); }
        int memoryEpochs = options.Quick ? 1 : 6;
        var libRss = new List<double>();
        var memoryModel = policy.Apply(VaeBench.MlpVae(20));
        VaeFitting.Fit(memoryModel, x, new VariationalFitOptions(memoryEpochs, 128, 1e-3, Seed: 2), _ => libRss.Add(Rss()));
        double libAfterGc = RssAfterCollect();
        var rawRss = new List<double>();
        for (int e = 0; e < memoryEpochs; e++) { raw.TrainEpoch(x); rawRss.Add(Rss()); }
        double rawAfterGc = RssAfterCollect();

        var result = new Dictionary<string, object>
        {
            ["rss_mb_library_alone_by_epoch"] = libRss.ToArray(),
            ["rss_mb_library_after_forced_gc"] = libAfterGc,
            ["rss_mb_raw_alone_by_epoch"] = rawRss.ToArray(),
            ["rss_mb_raw_after_forced_gc"] = rawAfterGc,
            ["steps"] = steps,
            ["fit_elbo_epoch_seconds"] = fitSeconds.Select(v => Math.Round(v, 3)).ToArray(),
            ["raw_epoch_seconds"] = rawSeconds.Select(v => Math.Round(v, 3)).ToArray(),
            ["fit_elbo_epoch_gen0_collections"] = fitGc.ToArray(),
            ["raw_epoch_gen0_collections"] = rawGc.ToArray(),
            ["rss_mb_by_epoch"] = rss.ToArray(),
            ["library_median_ms_per_step"] = Math.Round(Median(StepTotals(lib).ToList()), 3),
            ["library_before_median_ms_per_step"] = Math.Round(Median(StepTotals(libBefore).ToList()), 3),
            ["raw_median_ms_per_step"] = Math.Round(Median(StepTotals(bare).ToList()), 3),
            ["elbo_call_median_ms_per_step"] = Math.Round(Median(StepTotals(call).ToList()), 3),
            ["load_average_1min"] = File.Exists("/proc/loadavg")
                ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)
                : -1.0,
        };
        foreach (var (k, v) in lib) result["library_median_ms_" + k] = Math.Round(Median(v), 3);
        foreach (var (k, v) in libBefore) result["library_before_median_ms_" + k] = Math.Round(Median(v), 3);
        foreach (var (k, v) in bare) result["raw_median_ms_" + k] = Math.Round(Median(v), 3);
        foreach (var (k, v) in call) result["elbo_call_median_ms_" + k] = Math.Round(Median(v), 3);
        return result;
    }
}
