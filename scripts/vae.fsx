// Variational autoencoders on the repo's MNIST split (Kingma & Welling 2014): trains the classic 784-400-20 VAE,
// an autoencoder with the same networks, and a 2-D latent VAE, then writes the pictures of the lecture to
// artifacts/vae/: prior samples (VAE and AE), reconstructions, latent traversals (one row per dimension),
// the 2-D latent manifold and the test-set latent means coloured by label. BAYESDL_QUICK=1 trains one epoch on
// 2,000 images (a smoke run: the pictures are then blurry).
#load "references.fsx"
// references.fsx also references ScottPlot and points SkiaSharp at its native libraries.

open System
open System.IO
open System.Runtime.InteropServices
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Plotting

let epochs = if References.quick then 1 else 10
let out = Path.Combine(__SOURCE_DIRECTORY__, "..", "artifacts", "vae")
let policy = ComputePolicy.Default
let train = Mnist.LoadSubset("train", policy = policy).Take(if References.quick then 2000L else 8000L)
let test = Mnist.LoadSubset("test", policy = policy)
let x, xt = train.Inputs, test.Inputs
let options = VariationalFitOptions(Epochs = epochs, BatchSize = 128, LearningRate = 1e-3, Seed = 1L)
let report name = Action<BayesDL.Training.EpochReport>(fun e -> printfn "%s epoch %d: loss %.2f nats/image" name e.Epoch e.MeanLoss)

/// 784-400-D ReLU MLP encoder and decoder with a Bernoulli likelihood on the grey levels.
let mlpVae latent =
    policy.Apply(new Vae(VaeNetworks.MlpEncoder(784L, 400L), 400L, VaeNetworks.MlpDecoder(latent, [| 400L |], 784L),
                         BernoulliDecoder(), 784L, latent))

// Each model is built right after seeding: the weights' initialisation draws from the engine's generator, which
// libtorch otherwise seeds nondeterministically (the fit seeds only the shuffling and the sampling).
let fitVae (vae: Vae) name = VaeFitting.Fit(vae, x, options, report name) |> ignore

NativeEngine.Seed 1L
let vae = mlpVae 20L
fitVae vae "VAE"
NativeEngine.Seed 2L
let ae = policy.Apply(new Autoencoder(VaeNetworks.MlpEncoder(784L, 400L), 400L,
                                      VaeNetworks.MlpDecoder(20L, [| 400L |], 784L), BernoulliDecoder(), 784L, 20L))
VaeFitting.Fit(ae, x, options, report "AE") |> ignore
NativeEngine.Seed 3L
let vae2 = mlpVae 2L
fitVae vae2 "2-D VAE"

do
    use _ = torch.no_grad ()
    NativeEngine.Seed 3L
    printfn "test ELBO %.2f nats/image, IWAE(k=100) %.2f" (vae.Elbo(xt).Elbo.mean().item<float32>())
        (vae.Iwae(xt.narrow(0L, 0L, 500L), 100, chunk = 25).mean().item<float32>())
    printfn "test reconstruction loss: VAE %.2f, AE %.2f nats/image" (vae.Elbo(xt).Reconstruction.neg().mean().item<float32>())
        (ae.ReconstructionLoss(xt).mean().item<float32>())
    let originals = xt.narrow(0L, 0L, 16L)
    let files =
        [ ImageGrid.Save(vae.SamplePrior(64L), 8, Path.Combine(out, "vae_prior_samples.png"), title = "VAE: decode z ~ N(0, I)")
          ImageGrid.Save(ae.DecodeMean(torch.randn(64L, 20L, dtype = x.dtype, device = x.device)), 8,
                         Path.Combine(out, "ae_prior_samples.png"), title = "AE: decode z ~ N(0, I)")
          ImageGrid.Save(torch.cat([| originals; vae.Reconstruct(originals); ae.Reconstruct(originals) |], 0L), 16,
                         Path.Combine(out, "reconstructions.png"), title = "test images / VAE / AE reconstructions")
          ImageGrid.Save(LatentInspection.Traversal(vae, xt.narrow(0L, 0L, 1L)), 9, Path.Combine(out, "traversal.png"),
                         title = "one row per latent dimension, z_d from -3 to 3")
          ImageGrid.Save(LatentInspection.Manifold(vae2, 20), 20, Path.Combine(out, "manifold_2d.png"), title = "2-D latent manifold")
          LatentScatter.Save(LatentInspection.LatentMeans(vae2, xt), test.Targets, Path.Combine(out, "latent_scatter_2d.png"),
                             "Test latent means (2-D VAE)") ]
    for f in files do printfn "wrote %s" (Path.GetRelativePath(Path.Combine(__SOURCE_DIRECTORY__, ".."), f))
