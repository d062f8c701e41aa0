using BayesDL.Builders;
using BayesDL.Engine;
using BayesDL.Models;
using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>Pieces shared by the vae, cvae and m2 workloads: the classic MNIST VAE and evaluation in batches.</summary>
internal static class VaeBench
{
    public const long Pixels = 784;

    /// <summary>784-400-D ReLU MLP encoder and D-400-784 decoder with a Bernoulli likelihood (the PyTorch example's model).</summary>
    public static Vae MlpVae(long latent, long conditionFeatures = 0) =>
        new(VaeNetworks.MlpEncoder(Pixels + conditionFeatures, 400), 400,
            VaeNetworks.MlpDecoder(latent + conditionFeatures, new long[] { 400 }, Pixels), new BernoulliDecoder(),
            Pixels, latent, conditionFeatures);

    /// <summary>The mean over rows of a per-example statistic computed batch by batch without gradients.</summary>
    public static double MeanOver(Tensor x, int batch, Func<Tensor, Tensor> perExample)
    {
        using var _ = no_grad();
        double sum = 0;
        for (long s = 0; s < x.shape[0]; s += batch)
        {
            using var scope = NewDisposeScope();
            sum += perExample(x[TensorIndex.Slice(s, Math.Min(x.shape[0], s + batch))]).sum().to(ScalarType.Float64).item<double>();
            NativeAllocator.CollectIfDue();
        }
        return sum / x.shape[0];
    }

    /// <summary>
    /// Test ELBO per image, (1/N) sum_n [E_q[log p(x_n|z)] - KL(q(z|x_n) || p(z))], by <see cref="Vae.Elbo"/> with the analytic
    /// KL and <paramref name="samples"/> reparameterised draws per image for the expectation; and the Monte Carlo standard
    /// error of that mean, sqrt(sum_n Var_q[log p(x_n|z)] / samples) / N, with each image's variance estimated from 10 draws
    /// (the spread between images is not evaluation noise: the test set is fixed).
    /// </summary>
    public static (double Elbo, double StandardError) TestElbo(Vae vae, Tensor x, int samples)
    {
        using var _ = no_grad();
        const int Batch = 50;
        double elbo = MeanOver(x, Batch, b => vae.Elbo(b, samples: samples).Elbo);
        double variance = 0;
        for (long s = 0; s < x.shape[0]; s += Batch)
        {
            using var scope = NewDisposeScope();
            Tensor b = x[TensorIndex.Slice(s, Math.Min(x.shape[0], s + Batch))];
            Tensor logLikelihood = vae.Likelihood.LogLikelihood(vae.Decode(vae.Posterior(b).RSample(10)), b);   // [10, B]
            variance += logLikelihood.to(ScalarType.Float64).var(0L).sum().item<double>() / samples;
            NativeAllocator.CollectIfDue();
        }
        return (elbo, Math.Sqrt(variance) / x.shape[0]);
    }

    /// <summary>Accuracy of a classifier's argmax on (x, y).</summary>
    public static double Accuracy(Func<Tensor, Tensor> predict, Tensor x, Tensor y)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return predict(x).eq(y).to(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>
    /// Trains the 784-400-10 ReLU classifier by maximum likelihood (cross-entropy; Adam 1e-3, batch 128) through the library's
    /// ensemble fit with one member, initialised and shuffled from <paramref name="seed"/>, under <paramref name="policy"/>; returns it.
    /// </summary>
    public static nn.Module<Tensor, Tensor> TrainClassifier(Tensor x, Tensor y, int epochs, long seed, ComputePolicy policy,
        Action<int, double>? progress = null)
    {
        var fit = ModelBuilder.Sequential().Linear(Pixels, 400).Relu().Linear(400, 10).WithLikelihood(Likelihoods.Categorical())
            .FitEnsemble(new Data.LabeledData(x, y), new EnsembleFitOptions(Members: 1, Epochs: epochs,
            BatchSize: 128, LearningRate: 1e-3, Seed: seed),
                policy, (_, e) => progress?.Invoke(e.Epoch, e.MeanLoss));
        return fit.Ensemble.Members[0];
    }
}
