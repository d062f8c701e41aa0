module BayesDL.Tests.Mcmc.NetworkLogDensityTests

open System
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

type private PdfNormal = MathNet.Numerics.Distributions.Normal
type private PdfLaplace = MathNet.Numerics.Distributions.Laplace

/// A dense forward pass by hand over theta laid out as W [out, in] row-major then b [out] per layer.
let private handForward (sizes: int list) (act: float -> float) (theta: float[]) (x: float[]) =
    let rec go (sizes: int list) offset (h: float[]) =
        match sizes with
        | i :: o :: rest ->
            let z = Array.init o (fun r -> theta[offset + i * o + r] + Array.sum (Array.init i (fun c -> theta[offset + r * i + c] * h[c])))
            let last = List.isEmpty rest
            go (o :: rest) (offset + i * o + o) (if last then z else Array.map act z)
        | _ -> h
    go sizes 0 x

let private rows (x: float[]) width = Array.chunkBySize width x

[<Fact>]
let ``the network target is the hand-computed log prior plus Gaussian log likelihood at a random theta`` () =
    engine ()
    NativeEngine.Seed 11L
    let builder = ModelBuilder.Sequential().Linear(2L, 3L).Tanh().Linear(3L, 2L).WithPrior(Priors.Normal(0.1, 0.7))
                      .WithLikelihood(Likelihoods.Gaussian 0.4)
    let x = torch.randn(5L, 2L, dtype = torch.ScalarType.Float64)
    let y = torch.randn(5L, 2L, dtype = torch.ScalarType.Float64)
    let network = builder.LogDensity(x, y)
    Assert.Equal(2 * 3 + 3 + 3 * 2 + 2, network.Dimension)
    let theta = torch.randn(1L, 17L, dtype = torch.ScalarType.Float64)
    let t = values theta
    let prior = t |> Array.sumBy (fun v -> PdfNormal.PDFLn(0.1, 0.7, v))
    let likelihood =
        Array.zip (rows (values x) 2) (rows (values y) 2)
        |> Array.sumBy (fun (xi, yi) ->
            Array.map2 (fun f v -> PdfNormal.PDFLn(f, 0.4, v)) (handForward [ 2; 3; 2 ] tanh t xi) yi |> Array.sum)
    Assert.Equal(prior + likelihood, scalar (network.Target.Evaluate theta), 9)
    Assert.Equal(prior, scalar (network.LogPrior theta), 9)

[<Fact>]
let ``a Categorical network with a layer's own Laplace prior is the hand-computed log joint`` () =
    engine ()
    NativeEngine.Seed 12L
    // Layer 0 uses the model prior N(0, 2^2); layer 1 (BayesLinear) declares Laplace(0, 0.5): per-layer priors, any family.
    let builder = ModelBuilder.Sequential().Linear(2L, 3L).Relu().BayesLinear(3L, 3L, prior = Priors.Laplace(0.0, 0.5))
                    .WithPrior(Priors.Normal(0.0, 2.0)).WithLikelihood(Likelihoods.Categorical())
    let x = torch.randn(6L, 2L, dtype = torch.ScalarType.Float64)
    let labels = [| 0L; 2L; 1L; 1L; 0L; 2L |]
    let network = builder.LogDensity(x, torch.tensor labels)
    let theta = torch.randn(1L, int64 network.Dimension, dtype = torch.ScalarType.Float64)
    let t = values theta
    let prior =
        (t[..8] |> Array.sumBy (fun v -> PdfNormal.PDFLn(0.0, 2.0, v)))
        + (t[9..] |> Array.sumBy (fun v -> PdfLaplace.PDFLn(0.0, 0.5, v)))
    let likelihood =
        rows (values x) 2
        |> Array.mapi (fun i xi ->
            let f = handForward [ 2; 3; 3 ] (max 0.0) t xi
            f[int labels[i]] - log (Array.sumBy exp f))
        |> Array.sum
    Assert.Equal(prior + likelihood, scalar (network.Target.Evaluate theta), 9)

[<Fact>]
let ``classification predictions are each draw's softmax of the hand-computed logits`` () =
    engine ()
    NativeEngine.Seed 15L
    let builder = ModelBuilder.Sequential().Linear(2L, 4L).Sigmoid().Linear(4L, 3L).WithLikelihood(Likelihoods.Categorical())
    let x = torch.randn(4L, 2L, dtype = torch.ScalarType.Float64)
    let network = builder.LogDensity(x, torch.tensor [| 0L; 1L; 2L; 1L |])
    let draws = torch.randn(5L, int64 network.Dimension, dtype = torch.ScalarType.Float64)
    use predictive = network.Predict(draws, x)
    Assert.Equal(BayesDL.Predictive.PredictiveKind.Classification, predictive.Kind)
    let p = values predictive.Samples
    let sigmoid v = 1.0 / (1.0 + exp -v)
    for t in 0 .. 4 do
        for i, xi in Array.indexed (rows (values x) 2) do
            let f = handForward [ 2; 4; 3 ] sigmoid (values draws[int64 t]) xi
            for k in 0 .. 2 do Assert.True(abs (exp f[k] / Array.sumBy exp f - p[(t * 4 + i) * 3 + k]) < 1e-12)

[<Fact>]
let ``one linear layer without bias or activation is the Bayesian linear regression target`` () =
    engine ()
    NativeEngine.Seed 13L
    let x = torch.randn(15L, 3L, dtype = torch.ScalarType.Float64)
    let y = x.matmul(cpu64.Tensor([| 0.5; -1.0; 2.0 |], 3L)) + 0.2 * torch.randn(15L, dtype = torch.ScalarType.Float64)
    let builder = ModelBuilder.Sequential().Linear(3L, 1L, bias = false).WithPrior(Priors.Normal(0.0, 1.5))
                      .WithLikelihood(Likelihoods.Gaussian 0.3)
    let network = builder.LogDensity(x, y)
    let linear = LogDensity.BayesianLinearRegression(x, y, 0.3, 1.5)
    let theta = torch.randn(4L, 3L, dtype = torch.ScalarType.Float64)
    let a, b = values (network.Target.Evaluate theta), values (linear.Evaluate theta)
    for i in 0 .. 3 do Assert.Equal(b[i], a[i], 9)

let private smallRegression () =
    NativeEngine.Seed 14L
    let x = torch.linspace(-2.0, 2.0, 20L, dtype = torch.ScalarType.Float64).unsqueeze 1L
    let y = torch.sin(2.0 * x) + 0.1 * torch.randn_like x
    x, y

let private tanhNet hidden noise =
    ModelBuilder.Sequential().Linear(1L, hidden).Tanh().Linear(hidden, 1L).WithPrior(Priors.Normal(0.0, 1.0))
        .WithLikelihood(Likelihoods.Gaussian noise)

[<Fact>]
let ``evaluating all chains at once equals evaluating each chain alone, values and gradients`` () =
    engine ()
    let x, y = smallRegression ()
    let network = (tanhNet 8L 0.1).LogDensity(x, y)
    let theta = torch.randn(5L, int64 network.Dimension, dtype = torch.ScalarType.Float64)
    let struct (batched, gradient) = Leapfrog.ValueAndGradient(network.Target, theta)
    for c in 0L .. 4L do
        let struct (alone, g) = Leapfrog.ValueAndGradient(network.Target, theta[c].unsqueeze 0L)
        Assert.Equal(scalar alone, (values batched)[int c], 9)
        Array.iter2 (fun (u: float) v -> Assert.Equal(u, v, 9)) (values g) (values gradient[c])

[<Fact>]
let ``autograd gradients of the network target match central finite differences in float64`` () =
    engine ()
    let x, y = smallRegression ()
    let network = (tanhNet 3L 0.5).LogDensity(x, y)
    let d = network.Dimension
    let theta = 0.5 * torch.randn(1L, int64 d, dtype = torch.ScalarType.Float64)
    let struct (_, gradient) = Leapfrog.ValueAndGradient(network.Target, theta)
    let h = 1e-5
    let g = values gradient
    for i in 0 .. d - 1 do
        let step = cpu64.Tensor(Array.init d (fun j -> if j = i then h else 0.0), 1L, int64 d)
        let fd = (scalar (network.Target.Evaluate(theta + step)) - scalar (network.Target.Evaluate(theta - step))) / (2.0 * h)
        // Central differences err by O(h^2 f''') ~ 1e-10 here; 1e-6 relative leaves room for round-off (eps f / h ~ 1e-9).
        Assert.True(abs (fd - g[i]) <= 1e-6 * (1.0 + abs g[i]), sprintf "coordinate %d: autograd %g, finite difference %g" i g[i] fd)

[<Fact>]
let ``HMC on a 1-8-1 tanh network fits the data and its predictive variance grows away from the data`` () =
    engineOneThread ()
    let x, y = smallRegression ()
    use posterior = (tanhNet 8L 0.1).SampleHmc(x, y, HmcOptions(Samples = 150, Warmup = 150, Chains = 2, LeapfrogSteps = 12, Seed = 3L))
    Assert.Equal(0, posterior.Result.Divergences)
    use inside = posterior.Predict(x)
    use outside = posterior.Predict(cpu64.Tensor([| -6.0; -5.0; 5.0; 6.0 |], 4L, 1L))
    Assert.Equal(300L, inside.SampleCount)
    // Law of total variance: the aleatoric part is the fixed noise sigma^2 = 0.01 and total = aleatoric + epistemic.
    Assert.All(values (inside.AleatoricVariance()), fun v -> Assert.Equal(0.01, v, 12))
    Array.iter2 (fun (t: float) e -> Assert.Equal(0.01 + e, t, 12)) (values (inside.TotalVariance())) (values (inside.EpistemicVariance()))
    // The posterior mean follows sin(2x): its RMSE to the targets is near the noise (0.1); a prior draw would be off by ~1.
    let rmse = sqrt (Array.average (Array.map2 (fun m t -> (m - t) ** 2.0) (values (inside.Mean())) (values y)))
    Assert.True(rmse < 0.2, sprintf "posterior-mean RMSE %g" rmse)
    // Far from [-2, 2] the data no longer pin f down, so the draws disagree: the smallest epistemic variance outside
    // exceeds 5x the largest at a training input (a predictor that used one weight vector would give 0 everywhere).
    let within, beyond = Array.max (values (inside.EpistemicVariance())), Array.min (values (outside.EpistemicVariance()))
    Assert.True(within > 0.0 && beyond > 5.0 * within, sprintf "epistemic variance inside max %g, outside min %g" within beyond)
    use thinned = posterior.Predict(x, 30)
    Assert.Equal(30L, thinned.SampleCount)

[<Fact>]
let ``bad data, layers, likelihoods and draws are clear errors naming the parameter and expected shape`` () =
    engine ()
    let x, y = smallRegression ()
    let net = tanhNet 4L 0.1
    let err (f: unit -> 'a) = (Assert.Throws<ArgumentException>(fun () -> f () |> ignore)).Message
    Assert.Contains("parameter 'x' must be [N, 1]",
                    err (fun () -> net.LogDensity(torch.zeros(20L, 2L, dtype = torch.ScalarType.Float64), y)))
    Assert.Contains("parameter 'y' must be [20, 1] or [20]",
                    err (fun () -> net.LogDensity(x, torch.zeros(19L, dtype = torch.ScalarType.Float64))))
    let classifier = ModelBuilder.Sequential().Linear(1L, 3L).WithLikelihood(Likelihoods.Categorical())
    Assert.Contains("class index in [0, 2]; found 3 at index [1]",
                    err (fun () -> classifier.LogDensity(x.narrow(0L, 0L, 3L), torch.tensor [| 0L; 3L; 1L |])))
    let withDropout = ModelBuilder.Sequential().Linear(1L, 4L).Dropout(0.1).Linear(4L, 1L).WithLikelihood(Likelihoods.Gaussian 0.1)
    Assert.Contains("layer 1 'Dropout(p = 0.1)'", err (fun () -> withDropout.LogDensity(x, y)))
    let learned = ModelBuilder.Sequential().Linear(1L, 1L).WithLikelihood(Likelihoods.GaussianLearned())
    Assert.Contains("Gaussian with a fixed noise sigma or Categorical", err (fun () -> learned.LogDensity(x, y)))
    let network = net.LogDensity(x, y)
    Assert.Contains($"[chains, {network.Dimension}]",
                    err (fun () -> network.Target.Evaluate(torch.zeros(2L, 3L, dtype = torch.ScalarType.Float64))))
    Assert.Contains($"parameter 'theta' must be [chains, {network.Dimension}]",
                    err (fun () -> network.LogLikelihood(torch.zeros(4L, dtype = torch.ScalarType.Float64))))
    Assert.Contains("parameter 'inputs' must be [N, 1]",
                    err (fun () -> network.Predict(torch.zeros(2L, int64 network.Dimension, dtype = torch.ScalarType.Float64),
                                                   torch.zeros(3L, 2L))))

[<Fact>]
let ``Hmc.network samples a model { } declaration and returns mistakes as a BayesError`` () =
    engineOneThread ()
    let x, y = smallRegression ()
    let declared = model { network (linear 1L 4L >> Activation.tanh >> linear 4L 1L); likelihood (gaussianWith 0.2) }
    let settings = mcmc { samples 20; warmup 20; chains 2; leapfrogSteps 5; seed 2L }
    match Hmc.network settings declared x y with
    | Error e -> failwith e.Message
    | Ok posterior ->
        use p = posterior
        use core = (Model.toBuilder declared).SampleHmc(x, y, settings.ToOptions())
        Assert.Equal<float[]>(values core.Result.Samples, values p.Result.Samples)
        use predictive = p.Predict(x, 10)
        Assert.Equal<int64[]>([| 10L; 20L; 1L |], predictive.Samples.shape)
    match Hmc.network settings declared x (torch.zeros(3L, dtype = torch.ScalarType.Float64)) with
    | Error(InvalidParameter(_, m)) -> Assert.Contains("parameter 'y' must be [20, 1] or [20]", m)
    | other -> failwithf "expected InvalidParameter, got %A" other
    match Hmc.network settings (model { network (linear 1L 1L) }) x y with
    | Error(Incomplete m) -> Assert.Contains("likelihood", m)
    | other -> failwithf "expected Incomplete, got %A" other
