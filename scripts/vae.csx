// Variational autoencoder (Kingma & Welling 2014) on the repo's MNIST split, declared with the fluent builder:
// encoder 784-400 (ReLU), latent 20, decoder 20-400-784 with a Bernoulli likelihood on the grey levels, prior N(0, I).
// Trains by maximising the ELBO, then writes prior samples and latent traversals (one row per latent dimension) to
// artifacts/scripts/vae-samples-csx.png and vae-traversal-csx.png. BAYESDL_QUICK=1: one epoch on 1,000 images.
// Run: dotnet run --project BayesDL.Cli -- script scripts/vae.csx
using BayesDL.Models;
using BayesDL.Objectives;
using static TorchSharp.torch;

var policy = ComputePolicy.Cpu;
NativeEngine.Seed(1);
var train = Mnist.LoadSubset("train", Relative("../data"), policy).Take(Quick ? 1000 : 8000);
var test = Mnist.LoadSubset("test", Relative("../data"), policy);
Tensor x = train.Inputs;

var vae = ModelBuilder.Vae(
        encoder: ModelBuilder.Sequential().Linear(784, 400).Relu(),
        decoder: ModelBuilder.Sequential().Linear(20, 400).Relu().Linear(400, 784),
        latent: 20)
    .WithLikelihood(Likelihoods.Bernoulli())
    .Build(policy);

var losses = VaeFitting.Fit(vae, x, new VariationalFitOptions(Epochs: Quick ? 1 : 10, BatchSize: 128, LearningRate: 1e-3, Seed: 1),
    e => Console.WriteLine($"epoch {e.Epoch}: loss {e.MeanLoss:F2} nats/image"));

using (no_grad())
{
    var xt = test.Inputs.narrow(0, 0, Quick ? 200 : 2000);
    Console.WriteLine($"test ELBO {vae.Elbo(xt).Elbo.mean().item<float>():F2} nats/image");
    NativeEngine.Seed(3);
    Console.WriteLine("wrote " + ImageGrid.Save(vae.SamplePrior(64), 8, Artifact("vae-samples-csx.png"), title: "VAE: decode z ~ N(0, I)"));
    var traversal = LatentInspection.Traversal(vae, xt.narrow(0, 0, 1), range: 3, steps: 9);
    Console.WriteLine("wrote " + ImageGrid.Save(traversal, 9, Artifact("vae-traversal-csx.png"),
        title: "one row per latent dimension, z_j from -3 to 3"));
}
