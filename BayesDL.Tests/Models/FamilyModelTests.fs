/// The autoencoder, conditional VAE and M2 built on the same networks.
module BayesDL.Tests.Models.FamilyModelTests

open System
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Tests.TestSupport

let private policy = ComputePolicy.Cpu.Float64()

let private cvae () =
    policy.Apply(new ConditionalVae(VaeNetworks.MlpEncoder(20L + 3L, 16L), 16L, VaeNetworks.MlpDecoder(2L + 3L, [| 16L |], 20L),
                                    BernoulliDecoder(), 20L, 2L, 3))

[<Fact>]
let ``autoencoder reconstructs with the VAE's shapes and its loss is the negative log-likelihood`` () =
    engine ()
    NativeEngine.Seed 1L
    let ae = policy.Apply(new Autoencoder(VaeNetworks.MlpEncoder(20L, 16L), 16L,
                                          VaeNetworks.MlpDecoder(2L, [| 16L |], 20L), BernoulliDecoder(), 20L, 2L))
    use x = torch.rand(4L, 20L, dtype = torch.ScalarType.Float64)
    Assert.Equal<int64[]>([| 4L; 2L |], ae.Encode(x).shape)
    Assert.Equal<int64[]>([| 4L; 20L |], ae.Reconstruct(x).shape)
    let r = ae.Reconstruct(x)
    // -log p(x | z(x)) with Bernoulli means r: sum_i -(x log r + (1-x) log(1-r)).
    let expected = -(x * r.log() + (1.0 - x) * (1.0 - r).log()).sum(1L)
    Assert.True(torch.allclose(expected, ae.ReconstructionLoss(x), 1e-9, 1e-9))

[<Fact>]
let ``the CVAE's decoder sees the label: changing only the label changes the generated image`` () =
    engine ()
    let m = cvae ()
    NativeEngine.Seed 2L
    use a = m.Generate(torch.tensor([| 0L; 0L |]))
    NativeEngine.Seed 2L
    use b = m.Generate(torch.tensor([| 0L; 2L |]))
    Assert.True(torch.allclose(a.narrow(0L, 0L, 1L), b.narrow(0L, 0L, 1L)))
    Assert.False(torch.allclose(a.narrow(0L, 1L, 1L), b.narrow(0L, 1L, 1L)))

[<Fact>]
let ``M2's unlabelled loss sums the label out exactly: with a one-hot classifier it is the labelled loss`` () =
    engine ()
    NativeEngine.Seed 3L
    // A classifier that is certain of class 1 (logit 1e3): U(x) = -L(x, 1) - H(q) with H(q) = 0.
    let certain =
        { new torch.nn.Module<torch.Tensor, torch.Tensor>("certain") with
            member _.forward x = torch.tensor([| 0.0; 1000.0; 0.0 |], dtype = torch.ScalarType.Float64).expand(x.shape.[0], 3L) }
    let m2 = new SemiSupervisedVae(cvae (), certain)
    use x = torch.rand(6L, 20L, dtype = torch.ScalarType.Float64)
    // Both sides draw posterior samples, so compare their means over 2,000 copies: the per-copy SD is a few nats at
    // most here, so 5 SE is about 0.5 nats; the check fails if U used the wrong label (the bounds differ per label by more).
    use xs = x.repeat(2000L, 1L)
    let u = scalar (m2.UnlabelledLoss(xs).mean())
    let l = scalar (m2.LabelledBound(xs, torch.ones(12000L, dtype = torch.ScalarType.Int64)).neg().mean())
    let d = values (m2.UnlabelledLoss(xs) + m2.LabelledBound(xs, torch.ones(12000L, dtype = torch.ScalarType.Int64)))
    let sd = sqrt ((d |> Array.sumBy (fun v -> (v - Array.average d) ** 2.0)) / float (d.Length - 1))
    Assert.InRange(u - l, -5.0 * sd / sqrt 12000.0, 5.0 * sd / sqrt 12000.0)
    // The loss is finite and trains the classifier through the unlabelled term too.
    let m2b = policy.Apply(new SemiSupervisedVae(cvae (), VaeNetworks.MlpClassifier(20L, [| 8L |], 3L)))
    let loss = m2b.UnlabelledLoss(x).mean()
    loss.backward()
    Assert.True(m2b.parameters() |> Seq.forall (fun p -> not (isNull p.grad)))
    Assert.True(Double.IsFinite(scalar (m2b.Loss(x, torch.tensor([| 0L; 1L; 2L; 0L; 1L; 2L |]), x))))

[<Fact>]
let ``a prior without a closed-form KL gets the registry's Monte Carlo KL; a Normal prior the analytic one`` () =
    engine ()
    NativeEngine.Seed 4L
    let enc, dec = VaeNetworks.MlpEncoder(20L, 16L), VaeNetworks.MlpDecoder(3L, [| 16L |], 20L)
    let mixture = BayesDL.Distributions.Dist.ScaleMixtureNormal(policy.Tensor([| 0.5; 0.5; 0.5 |], 3L),
                                                                policy.Scalar 1.0, policy.Scalar 0.1)
    let vae = policy.Apply(new Vae(enc, 16L, dec, BernoulliDecoder(), 20L, 3L, prior = mixture))
    use x = torch.rand(2L, 20L, dtype = torch.ScalarType.Float64)
    use _ = torch.no_grad ()
    let kl = values (vae.Elbo(x, BayesDL.Objectives.VaeElboOptions(MonteCarloKLSamples = 20000)).KL)
    // Reference: an independent estimate from 200,000 draws of log q(z) - log p(z) per example.
    let q = vae.Posterior(x)
    use z = q.Sample(200000L)
    use ratio = (q.LogProb(z) - mixture.LogProb(z)).sum(-1L)
    let reference = values (ratio.mean([| 0L |]))
    let sd = values (ratio.std(0L))
    // SE of the difference of the two estimates: sd * sqrt(1/20000 + 1/200000); allow 5 of them.
    for i in 0 .. 1 do Assert.InRange(kl.[i] - reference.[i], -5.0 * sd.[i] * sqrt (1.0 / 20000.0 + 1.0 / 200000.0),
                                      5.0 * sd.[i] * sqrt (1.0 / 20000.0 + 1.0 / 200000.0))
    // With the standard Normal as an explicit prior the registry's closed form is used: the KL has no sampling noise.
    let normalPrior = BayesDL.Distributions.Dist.Normal(policy.Tensor([| 0.0; 0.0; 0.0 |], 3L), policy.Tensor([| 1.0; 1.0; 1.0 |], 3L))
    let vaeN = policy.Apply(new Vae(VaeNetworks.MlpEncoder(20L, 16L), 16L, VaeNetworks.MlpDecoder(3L, [| 16L |], 20L),
                                    BernoulliDecoder(), 20L, 3L, prior = normalPrior))
    let qn = vaeN.Posterior(x)
    let closed = values ((0.5 * (qn.Scale.square() + qn.Loc.square() - 1.0 - qn.Scale.square().log())).sum(-1L))
    Array.iter2 (fun (a: float) (b: float) -> Assert.Equal(a, b, 10)) closed (values (vaeN.Elbo(x).KL))
