module BayesDL.Tests.Models.VaeTests

open System
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Training
open BayesDL.Tests.TestSupport

let private policy = ComputePolicy.Cpu

let private smallVae latent = policy.Apply(new Vae(VaeNetworks.MlpEncoder(784L, 64L), 64L, VaeNetworks.MlpDecoder(latent, [| 64L |], 784L),
                                                   BernoulliDecoder(), 784L, latent))

let private data = lazy (engine (); Mnist.LoadSubset("train", policy = policy).Take(1200L))

[<Fact>]
let ``shapes of the ELBO, IWAE, samples, reconstructions and traversals`` () =
    engine ()
    NativeEngine.Seed 1L
    let vae = smallVae 3L
    use x = data.Value.Inputs.narrow(0L, 0L, 5L)
    let t = vae.Elbo(x, samples = 4)
    Assert.Equal<int64[]>([| 5L |], t.Elbo.shape)
    Assert.Equal<int64[]>([||], t.Loss.shape)
    Assert.Equal<int64[]>([| 7L; 5L |], vae.LogWeights(x, 7).shape)
    Assert.Equal<int64[]>([| 5L |], vae.Iwae(x, 10, chunk = 3).shape)
    Assert.Equal<int64[]>([| 6L; 784L |], vae.SamplePrior(6L).shape)
    Assert.Equal<int64[]>([| 5L; 784L |], vae.Reconstruct(x).shape)
    Assert.Equal<int64[]>([| 3L * 9L; 784L |], (LatentInspection.Traversal(vae, x.narrow(0L, 0L, 1L))).shape)
    Assert.Equal<int64[]>([| 5L; 3L |], (LatentInspection.LatentMeans(vae, x, batchSize = 2)).shape)
    Assert.Equal<int64[]>([| 5L; 2L |], (LatentInspection.Project2D(LatentInspection.LatentMeans(vae, x))).shape)
    let vae2 = smallVae 2L
    Assert.Equal<int64[]>([| 16L; 784L |], (LatentInspection.Manifold(vae2, 4)).shape)

[<Fact>]
let ``traversal varies exactly one latent coordinate per row`` () =
    engine ()
    let vae = smallVae 3L
    use x = data.Value.Inputs.narrow(0L, 0L, 1L)
    use mu = vae.Posterior(x).Loc
    // Decode the same grid by hand and compare: row d, column s has z = mu with z_d = -3 + 6 s / 8.
    let m = values mu
    let z = [| for d in 0 .. 2 do for s in 0 .. 8 do yield! Array.init 3 (fun j -> if j = d then -3.0 + 6.0 * float s / 8.0 else m.[j]) |]
    use expected = vae.DecodeMean(policy.Tensor(z, 27L, 3L))
    use actual = LatentInspection.Traversal(vae, x)
    Assert.True(torch.allclose(expected, actual, 1e-5, 1e-6))

[<Fact>]
let ``bad inputs name the parameter, the value and the expected shape or range`` () =
    engine ()
    let vae = smallVae 3L
    let e = Assert.Throws<ArgumentException>(fun () -> vae.Elbo(torch.zeros(4L, 100L)) |> ignore)
    Assert.Contains("'x'", e.Message); Assert.Contains("[4, 100]", e.Message); Assert.Contains("784", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> vae.Elbo(torch.full(2L, 784L, 1.5)) |> ignore)
    Assert.Contains("1.5", e.Message); Assert.Contains("[0, 1]", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> vae.Iwae(torch.zeros(2L, 784L), 0) |> ignore)
    Assert.Contains("'k'", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> vae.Elbo(torch.zeros(2L, 784L), condition = torch.zeros(2L, 10L)) |> ignore)
    Assert.Contains("condition", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> vae.Decode(torch.zeros(2L, 5L)) |> ignore)
    Assert.Contains("'z'", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> LatentInspection.Manifold(vae) |> ignore)
    Assert.Contains("2-D", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> VaeNetworks.ConvEncoder(1L, 30L, 28L) |> ignore)
    Assert.Contains("height", e.Message); Assert.Contains("30", e.Message)
    let cvae = new ConditionalVae(VaeNetworks.MlpEncoder(794L, 16L), 16L, VaeNetworks.MlpDecoder(13L, [| 16L |], 784L),
                                  BernoulliDecoder(), 784L, 3L, 10)
    let e = Assert.Throws<ArgumentException>(fun () -> cvae.Generate(torch.tensor([| 3L; 10L |])) |> ignore)
    Assert.Contains("labels", e.Message); Assert.Contains("10", e.Message)

[<Fact>]
let ``likelihoods match their densities`` () =
    engine ()
    let logits = cpu64.Tensor([| 0.3; -1.2; 2.0 |], 1L, 3L)
    let x = cpu64.Tensor([| 1.0; 0.0; 1.0 |], 1L, 3L)
    let p = values logits |> Array.map (fun l -> 1.0 / (1.0 + exp -l))
    let bernoulli = log p.[0] + log (1.0 - p.[1]) + log p.[2]
    Assert.Equal(bernoulli, scalar (BernoulliDecoder().LogLikelihood(logits, x)), 10)
    // Learned-scale Gaussian: outputs = [means | log-scales].
    let out = cpu64.Tensor([| 0.5; -0.5; 0.1; 0.2; -0.3; 0.0 |], 1L, 6L)
    let xs = [| 1.0; 0.0; -1.0 |]
    let expected = Array.init 3 (fun i -> MathNet.Numerics.Distributions.Normal.PDFLn([| 0.5; -0.5; 0.1 |].[i],
                                                                                      exp [| 0.2; -0.3; 0.0 |].[i], xs.[i])) |> Array.sum
    Assert.Equal(expected, scalar (GaussianDecoder().LogLikelihood(out, cpu64.Tensor(xs, 1L, 3L))), 10)
    let fixedExpected =
        Array.init 3 (fun i -> MathNet.Numerics.Distributions.Normal.PDFLn([| 0.5; -0.5; 0.1 |].[i], 0.7, xs.[i])) |> Array.sum
    Assert.Equal(fixedExpected, scalar (GaussianDecoder(Nullable 0.7).LogLikelihood(out.narrow(1L, 0L, 3L), cpu64.Tensor(xs, 1L, 3L))), 10)
    // Categorical over 3 levels for 2 pixels: logits laid out [level, pixel]; x = [0.0, 1.0] -> levels [0, 2].
    let cl = [| 1.0; 0.0; 2.0; 1.0; 3.0; -1.0 |]
    let lse a b c = log (exp a + exp b + exp c)
    let expectedCat = (cl.[0] - lse cl.[0] cl.[2] cl.[4]) + (cl.[5] - lse cl.[1] cl.[3] cl.[5])
    Assert.Equal(expectedCat,
                 scalar (CategoricalDecoder(3).LogLikelihood(cpu64.Tensor(cl, 1L, 6L), cpu64.Tensor([| 0.0; 1.0 |], 1L, 2L))), 10)
    Assert.Equal<int64[]>([| 1L; 2L |], CategoricalDecoder(3).Mean(cpu64.Tensor(cl, 1L, 6L)).shape)

[<Fact>]
let ``conv encoder and decoder fit the VAE on 28x28 images with a learned-variance Gaussian`` () =
    engine ()
    let lik = GaussianDecoder()
    let vae = policy.Apply(new Vae(VaeNetworks.ConvEncoder(), VaeNetworks.ConvEncoderFeatures(),
                                   VaeNetworks.ConvDecoder(4L, parametersPerFeature = lik.ParametersPerFeature), lik, 784L, 4L))
    use x = data.Value.Inputs.narrow(0L, 0L, 3L)
    let t = vae.Elbo(x)
    Assert.Equal<int64[]>([| 3L |], t.Elbo.shape)
    Assert.True(Double.IsFinite(scalar t.Loss))
    Assert.Equal<int64[]>([| 2L; 784L |], vae.SamplePrior(2L).shape)

[<Fact>]
let ``a fit checks the whole training set's support before its first step`` () =
    engine ()
    let x = data.Value.Inputs.narrow(0L, 0L, 200L).clone()
    // One bad pixel in row 190: the fit checks the whole set once, before training, so no step is taken (a check of each
    // minibatch would first train on the minibatches drawn before the one holding that row).
    x[190L, 7L] <- torch.tensor(1.5f)
    let vae = smallVae 4L
    use before = torch.cat([| for p in vae.parameters() -> p.detach().flatten() |])
    let e = Assert.Throws<ArgumentException>(fun () ->
        VaeFitting.Fit(vae, x, VariationalFitOptions(Epochs = 1, BatchSize = 50, Seed = 1L)) |> ignore)
    Assert.Contains("1.5", e.Message); Assert.Contains("[0, 1]", e.Message); Assert.Contains("'x'", e.Message)
    use after = torch.cat([| for p in vae.parameters() -> p.detach().flatten() |])
    Assert.True(before.equal(after).all().item<bool>(), "the model changed before the bad pixel was found")

[<Fact>]
let ``training lowers the loss, repeats exactly with a seed, and the trained IWAE beats the ELBO`` () =
    engine ()
    let x = data.Value.Inputs.narrow(0L, 0L, 1000L)
    let run () =
        NativeEngine.Seed 5L
        let vae = smallVae 8L
        let losses = VaeFitting.Fit(vae, x, VariationalFitOptions(Epochs = 3, BatchSize = 100, LearningRate = 1e-3, Seed = 5L))
        vae, losses
    let vae, losses = run ()
    let _, again = run ()
    Assert.Equal<float seq>(losses, again)
    Assert.True(losses.[2] < losses.[0] - 20.0, $"loss should fall by > 20 nats in 3 epochs: {Seq.toList losses}")
    // Paired per-image differences IWAE(k=20) - ELBO on 200 held-out images: mean > 5 standard errors above 0.
    use _ = torch.no_grad ()
    use xt = data.Value.Inputs.narrow(0L, 1000L, 200L)
    NativeEngine.Seed 6L
    let d = values (vae.Iwae(xt, 20) - vae.Elbo(xt).Elbo)
    let m = Array.average d
    let se = sqrt ((d |> Array.sumBy (fun v -> (v - m) ** 2.0)) / 199.0 / 200.0)
    Assert.True(m > 5.0 * se, $"IWAE - ELBO = {m} (SE {se})")

[<Fact>]
let ``a loss that turns NaN stops training with the epoch and step named`` () =
    engine ()
    let vae = smallVae 2L
    let x = data.Value.Inputs.narrow(0L, 0L, 300L)
    let loss (idx: torch.Tensor) (position: BatchPosition) =
        if position.GlobalStep = 2L then vae.Elbo(x.index(idx)).Loss * Double.NaN else vae.Elbo(x.index(idx)).Loss
    let e = Assert.Throws<TrainingDivergedException>(fun () ->
        Trainer(TrainerOptions(Epochs = 2, BatchSize = 100)).Fit(vae.parameters(), 300L, loss) |> ignore)
    Assert.Contains("NaN", e.Message); Assert.Contains("at step 3 (epoch 1, minibatch 3 of 3)", e.Message)
    Assert.Equal((3L, 1), (e.Step, e.Epoch))
    let e = Assert.Throws<ArgumentException>(fun () -> Trainer(TrainerOptions(BatchSize = 0)) |> ignore)
    Assert.Contains("BatchSize", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> Trainer().Fit(Seq.empty, 10L, fun _ _ -> torch.zeros(1)) |> ignore)
    Assert.Contains("parameters", e.Message)

[<Fact>]
let ``the IWAE bound is a training objective: its gradient reaches encoder and decoder and a few steps raise it`` () =
    engine ()
    NativeEngine.Seed 7L
    let vae = smallVae 4L
    use x = data.Value.Inputs.narrow(0L, 0L, 64L)
    let bound () = use _ = torch.no_grad () in NativeEngine.Seed 8L; scalar (vae.Iwae(x, 5).mean())
    let before = bound ()
    vae.Iwae(x, 5).mean().neg().backward()
    Assert.True(vae.parameters() |> Seq.forall (fun p -> not (isNull p.grad) && scalar (p.grad.abs().sum()) > 0.0))
    Trainer(TrainerOptions(Epochs = 20, BatchSize = 64, Seed = 7L))
        .Fit(vae.parameters(), 64L, fun idx _ -> vae.Iwae(x.index(idx), 5).mean().neg()) |> ignore
    let after = bound ()
    Assert.True(after > before + 20.0, $"IWAE(k=5) should rise by > 20 nats in 20 steps: {before} -> {after}")

[<Fact>]
let ``without gradients the ELBO and the log weights decode their draws in blocks, bit for bit the values with gradients`` () =
    // Without gradients Vae decodes more than 512 rows of draws in blocks of ceil(512 / B) draws, the draws themselves made
    // at once as before: the ELBO per image and the log weights equal, bit for bit, those of the pass with gradients (one
    // decode of all draws). Blocks of at least 64 rows: matrix products of a few rows may round differently.
    engine ()
    NativeEngine.Seed 1L
    let vae = smallVae 3L
    use x = data.Value.Inputs.narrow(0L, 0L, 40L)   // 40 images: blocks of 13 draws (520 rows), 30 draws = 13 + 13 + 4
    NativeEngine.Seed 7L
    let recorded = vae.Elbo(x, samples = 30)
    Assert.True(recorded.Elbo.requires_grad, "the reference ELBO should record gradients (one decode, no blocks)")
    let elbo = values (recorded.Elbo.detach())
    NativeEngine.Seed 7L
    let logWeights = values (vae.LogWeights(x, 30).detach())
    use _ = torch.no_grad()
    NativeEngine.Seed 7L
    Assert.Equal<float[]>(elbo, values (vae.Elbo(x, samples = 30).Elbo))
    NativeEngine.Seed 7L
    Assert.Equal<float[]>(logWeights, values (vae.LogWeights(x, 30)))

[<Fact>]
let ``the ELBO's KL to the default prior is the registry's Normal KL, in value and gradient`` () =
    // With p(z) = N(0, I) the ELBO takes the KL from the encoder's log variance v, (m^2 + e^v - 1 - v) / 2, instead of the
    // registry's Normal || Normal form of sigma = exp(v / 2). Same numbers in float64: the per-image KL, the loss and every
    // parameter's gradient. The log variances are spread by a bias so that some scales lie near 1 (the registry's series
    // branch) and some far from it.
    engine ()
    NativeEngine.Seed 3L
    let vae = cpu64.Apply(smallVae 6L)
    use _ = torch.no_grad ()
    (vae.Head.LogVarianceLayer :?> TorchSharp.Modules.Linear).bias.copy_(cpu64.Tensor([| -4.0; -1.0; -1e-4; 0.0; 2e-4; 1.5 |], 6L))
    |> ignore
    (vae.Head.LogVarianceLayer :?> TorchSharp.Modules.Linear).weight.mul_(torch.tensor 0.01) |> ignore
    use x = cpu64.Apply(data.Value.Inputs.narrow(0L, 0L, 16L))
    let gradients (loss: torch.Tensor) =
        for p in vae.parameters() do p.grad <- null
        loss.backward()
        vae.parameters() |> Seq.map (fun p -> values p.grad) |> Array.concat
    let elbo, lossGrad =
        use _ = torch.enable_grad ()
        NativeEngine.Seed 9L
        let t = vae.Elbo(x)
        values t.KL, gradients t.Loss
    let reference, referenceGrad =
        use _ = torch.enable_grad ()
        NativeEngine.Seed 9L
        let q = vae.Posterior(x)
        let z = q.RSample(1)
        let reconstruction = vae.Likelihood.LogLikelihood(vae.Decode(z), x).squeeze(0L)
        let kl = BayesDL.KL.KLDivergence.Analytic(q, vae.Prior(x))
        let t = VaeElbo.Compute(reconstruction, kl)
        values t.KL, gradients t.Loss
    Array.iter2 (fun (a: float) b -> Assert.True(abs (a - b) <= 1e-12 * abs b, $"KL {a} against the registry's {b}")) elbo reference
    Array.iter2 (fun (a: float) b -> Assert.True(abs (a - b) <= 1e-10 * (abs b + 1e-6), $"gradient {a} against {b}")) lossGrad referenceGrad

[<Fact>]
let ``the KL to N(0, 1) from a log variance keeps relative precision 2 eps over |v| near v = 0`` () =
    // psi(v) = e^v - 1 - v summed as its Taylor series (exact to double rounding for |v| <= 1e-2) against the closed form.
    engine ()
    let vs = [| -1e-2; -1e-5; -1e-8; 3e-7; 1e-4; 1e-2 |]
    let psi v = Seq.initInfinite (fun n -> n + 2) |> Seq.take 10
                |> Seq.sumBy (fun n -> v ** float n / MathNet.Numerics.SpecialFunctions.Factorial n)
    let loc = [| 0.0; 0.0; 0.0; 1e-5; 0.0; 0.3 |]
    let kl = values (LatentKL.ToStandardNormal(cpu64.Tensor(loc, 6L), cpu64.Tensor(vs, 6L)))
    for i in 0 .. vs.Length - 1 do
        let expected = (loc.[i] * loc.[i] + psi vs.[i]) / 2.0
        let bound = 4.0 * 2.220446049250313e-16 / abs vs.[i] * expected
        Assert.True(abs (kl.[i] - expected) <= bound, $"v = {vs.[i]}: {kl.[i]} against {expected}")
