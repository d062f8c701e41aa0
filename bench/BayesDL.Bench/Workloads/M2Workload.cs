using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Models;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Semi-supervised M2 (Kingma et al. 2014) on the repo's MNIST split with labels kept for 100 training images
/// per class (1,000) and the other 7,000 unlabelled: test accuracy of M2's classifier q(y|x) versus the same
/// 784-400-10 classifier trained on the 1,000 labelled images alone for the same number of steps.
/// </summary>
public sealed class M2Workload : IWorkload
{
    public string Name => "m2";
    public string Description => "MNIST semi-supervised VAE M2 with 100 labels/class vs the labelled-only classifier";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        int epochs = options.Quick ? 1 : 30, perClass = 100;
        var policy = ComputePolicy.Default;
        using var train = Mnist.LoadSubset("train", policy: policy);
        using var test = Mnist.LoadSubset("test", policy: policy);
        Tensor x = train.Inputs, y = train.Targets;

        // Seeded choice of 100 labelled images per class; the rest keep no label.
        using var generator = new Generator(7);
        using var order = randperm(x.shape[0], generator: generator, device: x.device);
        long[] ys = y.cpu().data<long>().ToArray(), ord = order.cpu().data<long>().ToArray();
        var labelledIdx = Enumerable.Range(0, 10).SelectMany(c => ord.Where(i => ys[i] == c).Take(perClass)).ToArray();
        var labelledSet = labelledIdx.ToHashSet();
        var unlabelledIdx = ord.Where(i => !labelledSet.Contains(i)).ToArray();
        using var xl = x[tensor(labelledIdx, device: x.device)];
        using var yl = y[tensor(labelledIdx, device: x.device)];
        using var xu = x[tensor(unlabelledIdx, device: x.device)];
        options.Progress($"{xl.shape[0]} labelled, {xu.shape[0]} unlabelled training images");

        // The same classifier on the labelled images alone, for as many gradient steps as M2 will take (trained first: it is cheap).
        long m2Steps = epochs * ((xu.shape[0] + 127) / 128);
        int baselineEpochs = (int)Math.Max(1, m2Steps / ((xl.shape[0] + 127) / 128));
        var baseline = VaeBench.TrainClassifier(xl, yl, baselineEpochs, seed: 1, policy);
        double accuracyLabelled = VaeBench.Accuracy(b => baseline.forward(b).argmax(-1), test.Inputs, test.Targets);
        options.Progress($"labelled-only classifier: {accuracyLabelled:P2} after {baselineEpochs} epochs");

        NativeEngine.Seed(1);   // before building: the initialisation draws from the engine's generator
        var generative = new ConditionalVae(VaeNetworks.MlpEncoder(784 + 10, 400), 400,
            VaeNetworks.MlpDecoder(50 + 10, new long[] { 400 }, 784), new BernoulliDecoder(), 784, 50, classes: 10);
        var m2 = policy.Apply(new SemiSupervisedVae(generative, VaeNetworks.MlpClassifier(784, new long[] { 400 }, 10)));
        // The library's M2 fit: each step one unlabelled minibatch (an epoch is one pass over them) and one labelled minibatch
        // from permutations of the labelled images seeded with Seed + 1.
        long steps = m2Steps;
        VaeFitting.Fit(m2, new LabeledData(xl, yl), xu, new VariationalFitOptions(epochs, 128, 1e-3, Seed: 1), e =>
            options.Progress($"M2 epoch {e.Epoch}: loss {e.MeanLoss:F2}, test accuracy " +
                $"{VaeBench.Accuracy(m2.Predict, test.Inputs, test.Targets):P2}"));
        double accuracyM2 = VaeBench.Accuracy(m2.Predict, test.Inputs, test.Targets);

        options.Progress($"M2 {accuracyM2:P2} vs labelled-only {accuracyLabelled:P2} ({baselineEpochs} epochs, {steps} steps each)");
        return new Dictionary<string, object>
        {
            ["accuracy_m2"] = Math.Round(accuracyM2, 4),
            ["accuracy_labelled_only"] = Math.Round(accuracyLabelled, 4),
            ["labelled"] = xl.shape[0],
            ["unlabelled"] = xu.shape[0],
            ["epochs"] = epochs,
            ["steps"] = steps,
            ["rss_mb"] = Math.Round(ProcessMemory.RssMb(), 1),
        };
    }
}
