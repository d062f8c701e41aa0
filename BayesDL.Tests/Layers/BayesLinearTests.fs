module BayesDL.Tests.Layers.BayesLinearTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

/// Tiny tensors: one intra-op thread avoids thread hand-off costs that dominate on a loaded 2-core machine.
let private setup () =
    engineOneThread ()

let private estimators = [| GradientEstimator.Reparameterization; GradientEstimator.LocalReparameterization; GradientEstimator.Flipout |]

/// A float64 layer with posterior std around 0.3-0.7, so the weight noise matters for the gradients.
let private layer estimator inF outF seed =
    NativeEngine.Seed seed
    let l = BayesNN.BayesLinear(int64 inF, int64 outF, BayesLayerOptions(Estimator = estimator, InitialRho = 0.0))
    cpu64.Apply l |> ignore
    use _ = torch.no_grad()
    l.WeightRho.add_(torch.rand_like(l.WeightRho) - 0.5) |> ignore
    l

let private grads (l: BayesLinear) =
    Array.concat [ values l.WeightMu.grad; values l.WeightRho.grad; values l.BiasMu.grad; values l.BiasRho.grad ]

/// Mean and standard error per coordinate of M single-sample gradients.
let private meanAndSe (samples: float[][]) =
    let m = float samples.Length
    let d = samples[0].Length
    Array.init d (fun j ->
        let xs = samples |> Array.map (fun s -> s[j])
        let mean = Array.average xs
        let sd = sqrt ((xs |> Array.sumBy (fun v -> (v - mean) ** 2.0)) / (m - 1.0))
        mean, sd / sqrt m)

let private singleSampleGradients (l: BayesLinear) (loss: unit -> torch.Tensor) draws =
    Array.init draws (fun _ ->
        l.zero_grad()
        use v = loss ()
        v.backward()
        grads l)

[<Theory>]
[<InlineData(0)>]
[<InlineData(1)>]
[<InlineData(2)>]
let ``each estimator's single-sample gradients average to the exact gradient of the expected Gaussian log-likelihood`` (which: int) =
    setup ()
    let estimator = estimators[which]
    let l = layer estimator 3 2 (11L + int64 which)
    use x = torch.randn(6L, 3L, dtype = torch.ScalarType.Float64)
    use y = torch.randn(6L, 2L, dtype = torch.ScalarType.Float64)
    // E_q[sum (y - x W^T - b)^2 / 2] = sum [(y - x mu^T - b_mu)^2 + x^2 sigma^2^T + sigma_b^2] / 2 in closed form.
    l.zero_grad()
    let exact =
        let sw = VariationalLayer.Sigma(l.WeightRho)
        let sb = VariationalLayer.Sigma(l.BiasRho)
        let mean = torch.nn.functional.linear(x, l.WeightMu, l.BiasMu)
        let var = torch.nn.functional.linear(x.square(), sw.square(), sb.square())
        use e = ((y - mean).square() + var).sum() * 0.5
        e.backward()
        grads l
    let sampled = singleSampleGradients l (fun () -> (y - l.forward x).square().sum() * 0.5) 3000
    // The mean of 3,000 i.i.d. unbiased draws is within 5 SE of the truth per coordinate (p < 1e-5 for all 16 jointly).
    meanAndSe sampled |> Array.iteri (fun j (m, se) ->
        Assert.True(abs (m - exact[j]) <= 5.0 * se + 1e-10,
                    sprintf "%A coordinate %d: mean %g vs exact %g (SE %g)" estimator j m exact[j] se))

[<Theory>]
[<InlineData(0)>]
[<InlineData(1)>]
[<InlineData(2)>]
let ``through a tanh hidden layer each estimator matches a 20,000-draw reference within 5 SE`` (which: int) =
    setup ()
    let estimator = estimators[which]
    let l = layer estimator 3 4 (21L + int64 which)
    use x = torch.randn(5L, 3L, dtype = torch.ScalarType.Float64)
    use head = torch.randn(4L, 1L, dtype = torch.ScalarType.Float64)
    use y = torch.randn(5L, 1L, dtype = torch.ScalarType.Float64)
    let lossOf (out: torch.Tensor) = (y - out.tanh().matmul head).square().sum() * 0.5
    // Reference: plain reparameterization with 20,000 independent weight draws in one batched pass.
    let reference =
        let r = layer GradientEstimator.Reparameterization 3 4 (21L + int64 which)
        let k = 20000L
        r.WeightDraws <- int k
        r.zero_grad()
        let out = r.forward(x.unsqueeze(0).expand(k, 5L, 3L).reshape(k * 5L, 3L)).view(k, 5L, 4L)
        use v = ((y.unsqueeze 0 - out.tanh().matmul head).square().sum()) * (0.5 / float k)
        v.backward()
        grads r
    let sampled = singleSampleGradients l (fun () -> lossOf (l.forward x)) 2000
    // Reference SE is ~sqrt(2000/20000) of the sampled mean's SE; both enter the 5 SE bound.
    meanAndSe sampled |> Array.iteri (fun j (m, se) ->
        let tol = 5.0 * se * sqrt (1.0 + 2000.0 / 20000.0) + 1e-10
        Assert.True(abs (m - reference[j]) <= tol,
                    sprintf "%A coordinate %d: mean %g vs reference %g (tol %g)" estimator j m reference[j] tol))

let private gradientVariance estimator =
    let l = layer estimator 16 8 5L
    NativeEngine.Seed 6L
    use x = torch.randn(64L, 16L, dtype = torch.ScalarType.Float64)
    use y = torch.randn(64L, 8L, dtype = torch.ScalarType.Float64)
    let g = singleSampleGradients l (fun () -> (y - l.forward x).square().mean() * 0.5) 400
    let d = g[0].Length
    Array.init d (fun j -> let xs = g |> Array.map (fun s -> s[j]) in MathNet.Numerics.Statistics.Statistics.Variance xs) |> Array.sum

[<Fact>]
let ``Flipout and local reparameterization have lower gradient variance than plain reparameterization on a fixed batch`` () =
    setup ()
    let reparam = gradientVariance GradientEstimator.Reparameterization
    let flipout = gradientVariance GradientEstimator.Flipout
    let local = gradientVariance GradientEstimator.LocalReparameterization
    // Each total is a sum of 272 variance estimates from 400 draws (relative SE well under 10%), so a strict
    // inequality is not decided by sampling noise; with a batch of 64 Flipout decorrelates the examples' noise.
    Assert.True(flipout < reparam, sprintf "Flipout %g vs reparameterization %g" flipout reparam)
    Assert.True(local < reparam, sprintf "local %g vs reparameterization %g" local reparam)

[<Fact>]
let ``sigma is softplus without overflow in float32`` () =
    setup ()
    use rho = torch.tensor([| -100.0f; -5.0f; 0.0f; 89.0f; 1000.0f |])
    let s = values (VariationalLayer.Sigma rho)
    use naive = (rho.exp() + 1.0f).log()
    let naiveValues = values naive
    Assert.True(Double.IsInfinity naiveValues[3]) // log(1 + e^89) overflows in float32
    Assert.Equal(Math.Log(1.0 + Math.Exp -5.0), s[1], 6)
    Assert.Equal(Math.Log 2.0, s[2], 6)
    Assert.Equal(89.0, s[3], 4)
    Assert.Equal(1000.0, s[4], 4)
    Assert.True(s |> Array.forall (fun v -> v > 0.0 && Double.IsFinite v))
    use back = VariationalLayer.InverseSigma(torch.tensor([| 0.01; 1.0; 30.0 |]))
    Assert.Equal<float[]>([| 0.01; 1.0; 30.0 |], values (VariationalLayer.Sigma back) |> Array.map (fun v -> Math.Round(v, 9)))

[<Fact>]
let ``KL against N(0, 1) is the closed form and initial posterior std is small`` () =
    setup ()
    let l = BayesNN.BayesLinear(4L, 3L)
    cpu64.Apply l |> ignore
    let mu = values l.WeightMu |> Array.append (values l.BiasMu)
    let sigma = Math.Log(1.0 + Math.Exp -5.0)
    Assert.All(values (VariationalLayer.Sigma l.WeightRho), fun s -> Assert.Equal(sigma, s, 12))
    let expected = mu |> Array.sumBy (fun m -> 0.5 * (sigma * sigma + m * m - 1.0) - Math.Log sigma)
    Assert.Equal(expected, scalar (l.KL()), 9)
    // A non-standard Normal prior: the layer's rearranged closed form equals the registry's element-wise one.
    let o = BayesNN.BayesLinear(4L, 3L, BayesLayerOptions(Prior = PriorSpec.Normal(0.3, 0.5), InitialRho = -1.0)) |> cpu64.Apply
    let registry (mu: torch.Tensor) (rho: torch.Tensor) =
        let prior = BayesDL.Distributions.Dist.Normal(cpu64.Scalar 0.3, cpu64.Scalar 0.5)
        scalar (BayesDL.KL.KLDivergence.Analytic(BayesDL.Distributions.Dist.Normal(mu, VariationalLayer.Sigma rho), prior).sum())
    Assert.Equal(registry o.WeightMu o.WeightRho + registry o.BiasMu o.BiasRho, scalar (o.KL()), 9)

[<Fact>]
let ``weight draws split the batch into independent groups`` () =
    setup ()
    let l = layer GradientEstimator.Reparameterization 2 1 3L
    use x = torch.ones(4L, 2L, dtype = torch.ScalarType.Float64)
    l.WeightDraws <- 2
    let out = values (l.forward x)
    // Rows 0-1 share a draw and rows 2-3 share another.
    Assert.Equal(out[0], out[1]); Assert.Equal(out[2], out[3]); Assert.NotEqual(out[0], out[2])
    use x3 = torch.ones(3L, 2L, dtype = torch.ScalarType.Float64)
    let e = Assert.Throws<ArgumentException>(fun () -> l.forward x3 |> ignore)
    Assert.Contains("multiple of WeightDraws = 2", e.Message)

[<Fact>]
let ``bad shapes and settings are refused with the parameter and the expected value`` () =
    setup ()
    let l = BayesNN.BayesLinear(4L, 3L)
    let e = Assert.Throws<ArgumentException>(fun () -> l.forward(torch.zeros(2L, 5L)) |> ignore)
    Assert.Contains("[batch, 4]", e.Message)
    let e2 = Assert.Throws<ArgumentException>(fun () -> BayesNN.BayesLinear(4L, 3L, BayesLayerOptions(KLSamples = 1)) |> ignore)
    Assert.Contains("KLSamples", e2.Message)
    let e3 = Assert.Throws<ArgumentException>(fun () -> BayesNN.BayesLinear(0L, 3L) |> ignore)
    Assert.Contains("inFeatures", e3.Message)
    let e4 = Assert.Throws<ArgumentException>(fun () -> BayesNN.BayesLinear(4L, 3L, BayesLayerOptions(InitialRho = nan)) |> ignore)
    Assert.Contains("InitialRho", e4.Message)

/// Per-element KL(N(mu, s^2) || p) and Var[log q - log p] under q by adaptive quadrature over mu ± 12 s.
let private quadratureKL (logPrior: float -> float) (mu: float) (s: float) =
    let q w = MathNet.Numerics.Distributions.Normal.PDF(mu, s, w)
    let r w = MathNet.Numerics.Distributions.Normal.PDFLn(mu, s, w) - logPrior w
    let integrate f = MathNet.Numerics.Integrate.OnClosedInterval((fun w -> f w), mu - 12.0 * s, mu + 12.0 * s, 1e-10)
    let m1 = integrate (fun w -> q w * r w)
    let m2 = integrate (fun w -> q w * r w * r w)
    m1, m2 - m1 * m1

let private posterior (l: BayesLinear) =
    Array.append (values l.WeightMu) (values l.BiasMu),
    Array.append (values (VariationalLayer.Sigma l.WeightRho)) (values (VariationalLayer.Sigma l.BiasRho))

[<Fact>]
let ``a Laplace prior gives the closed-form KL through the registry`` () =
    setup ()
    NativeEngine.Seed 9L
    let l = BayesNN.BayesLinear(3L, 2L, BayesLayerOptions(Prior = PriorSpec.Laplace(0.0, 0.5), InitialRho = -1.0)) |> cpu64.Apply
    let mus, sigmas = posterior l
    let b = 0.5
    // KL = -H[N(mu, s^2)] + log(2b) + E|w|/b, with the folded-normal mean E|w| = s sqrt(2/pi) e^(-mu^2/2s^2) + mu (1 - 2 Phi(-mu/s)).
    let expected =
        Array.map2 (fun mu s ->
            let foldedMean =
                s * sqrt (2.0 / Math.PI) * exp (-mu * mu / (2.0 * s * s))
                + mu * (1.0 - 2.0 * MathNet.Numerics.Distributions.Normal.CDF(0.0, 1.0, -mu / s))
            -(0.5 * Math.Log(2.0 * Math.PI * Math.E * s * s)) + Math.Log(2.0 * b) + foldedMean / b) mus sigmas
        |> Array.sum
    Assert.Equal(expected, scalar (l.KL()), 8)

[<Fact>]
let ``a scale-mixture prior gives a Monte Carlo KL within 5 SE of quadrature, with finite gradients`` () =
    setup ()
    NativeEngine.Seed 10L
    let draws = 4000
    let l = BayesNN.BayesLinear(3L, 2L, BayesLayerOptions(Prior = PriorSpec.ScaleMixture(0.5, 1.0, 0.05), InitialRho = -2.0,
                                                          KLSamples = draws)) |> cpu64.Apply
    let mus, sigmas = posterior l
    let logPrior w =
        let a = Math.Log 0.5 + MathNet.Numerics.Distributions.Normal.PDFLn(0.0, 1.0, w)
        let b = Math.Log 0.5 + MathNet.Numerics.Distributions.Normal.PDFLn(0.0, 0.05, w)
        let m = max a b
        m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m))
    let parts = Array.map2 (quadratureKL logPrior) mus sigmas
    let expected = parts |> Array.sumBy fst
    // The estimate is a sum of independent per-element means of `draws` log-ratios: SE = sqrt(sum Var_j / draws).
    let se = sqrt ((parts |> Array.sumBy snd) / float draws)
    let kl = l.KL()
    Assert.True(abs (scalar kl - expected) <= 5.0 * se, sprintf "MC KL %g vs quadrature %g (SE %g)" (scalar kl) expected se)
    kl.backward()
    Assert.True(values l.WeightRho.grad |> Array.forall Double.IsFinite)

[<Fact>]
let ``sharing sigma within a training step changes neither the loss nor any gradient, and a no-gradient pass is not shared`` () =
    engine ()
    NativeEngine.Seed 5L
    let layer = BayesNN.BayesLinear(6L, 3L, BayesLayerOptions(InitialRho = -2.0))
    let x = torch.randn(8L, 6L)
    let lossAndGradients share =
        layer.zero_grad()
        use scope = if share then VariationalLayer.ShareScalesWithinStep() else { new IDisposable with member _.Dispose() = () }
        // Passes without gradients first (as a metric inside a step might run): their sigma has no graph and must not be reused.
        (use _ = torch.no_grad() in layer.forward(x).Dispose(); layer.KL().Dispose())
        NativeEngine.Seed 12L
        let loss = layer.forward(x).square().sum() + layer.KL()
        loss.backward()
        loss.item<float32>(), [| for p in layer.parameters() -> values p.grad |]
    let plainLoss, plain = lossAndGradients false
    let sharedLoss, shared = lossAndGradients true
    Assert.Equal(float plainLoss, float sharedLoss, 4)
    Array.iter2 (Array.iter2 (fun (a: float) b -> Assert.Equal(0.0, (a - b) / (1e-3 + abs a), 5))) plain shared
    // The rho gradients carry both uses of sigma (the pre-activation variance and the KL): not just the KL's.
    let klOnly =
        layer.zero_grad()
        layer.KL().backward()
        values layer.WeightRho.grad
    Assert.True(Array.exists2 (fun (a: float) b -> abs (a - b) > 1e-6) shared[1] klOnly)
