/// The post-hoc Laplace approximation against closed forms: the conjugate posterior of Bayesian linear regression, the full
/// GGN for the cheaper structures, the explicit J Sigma J^T of the linearised predictive, draws against the covariance, and
/// the errors for unsupported layers and Hessians over the memory budget.
module BayesDL.Tests.Posthoc.LaplacePosteriorTests

open System
open Xunit
open TorchSharp
open TorchSharp.Modules
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Layers
open BayesDL.Networks
open BayesDL.Posthoc
open BayesDL.Predictive
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

let private f64 = torch.ScalarType.Float64
let private maxAbs (a: torch.Tensor) (b: torch.Tensor) = scalar ((a - b).abs().max())

/// y = X w + noise with X [n, d], float64, and the exact posterior mean as the network's weights (no bias).
let private regression seed n d noise prior =
    NativeEngine.Seed seed
    let x = torch.randn(int64 n, int64 d, dtype = f64)
    let w = torch.randn(int64 d, dtype = f64)
    let y = x.matmul(w) + noise * torch.randn(int64 n, dtype = f64)
    let exact = ConjugateLinearRegression.Posterior(x, y, noise, prior)
    let layer = torch.nn.Linear(int64 d, 1L, hasBias = false, dtype = f64)
    use _ = torch.no_grad()
    layer.weight.copy_(exact.Mean.unsqueeze 0) |> ignore
    let network = torch.nn.Sequential([| layer :> Module |])
    x, y, exact, network

/// A small tanh MLP in float64 with random weights and data.
let private mlp seed inputs hidden outputs bias =
    NativeEngine.Seed seed
    torch.nn.Sequential(
        [| torch.nn.Linear(int64 inputs, int64 hidden, hasBias = bias, dtype = f64) :> Module; torch.nn.Tanh()
           torch.nn.Linear(int64 hidden, int64 outputs, hasBias = bias, dtype = f64) |])

let private classification seed n inputs classes =
    NativeEngine.Seed(seed + 100L)
    new LabeledData(torch.randn(int64 n, int64 inputs, dtype = f64),
                    torch.randint(int64 classes, [| int64 n |], dtype = torch.ScalarType.Int64))

let private options structure subset =
    LaplaceOptions(Subset = subset, Hessian = structure, Rank = 1000, BatchSize = 7)

let structures = [ HessianStructure.Diagonal; HessianStructure.Kron; HessianStructure.Full; HessianStructure.LowRank ]

[<Fact>]
let ``Laplace on Bayesian linear regression equals the exact conjugate posterior and evidence (float64, 1e-8)`` () =
    engine ()
    let noise, prior = 0.3, 0.7
    let x, y, exact, network = regression 11L 40 5 noise prior
    use data = new LabeledData(x, y.unsqueeze 1)
    let evidence = ConjugateLinearRegression.LogEvidence(x, y, noise, prior)
    for structure in [ HessianStructure.Full; HessianStructure.Kron; HessianStructure.LowRank ] do
        let o = LaplaceOptions(Hessian = structure, PriorPrecision = 1.0 / (prior * prior), Rank = 5)
        use la = LaplacePosterior.Fit(network, Likelihood.Gaussian(GaussianNoise.Fixed, noise), data, o)
        Assert.True(maxAbs la.MapWeights exact.Mean < 1e-12)
        use cov = la.Covariance()
        Assert.True(maxAbs cov exact.Covariance < 1e-8, sprintf "%A: covariance off by %g" structure (maxAbs cov exact.Covariance))
        Assert.True(abs (la.LogEvidence - evidence) < 1e-8, sprintf "%A: log evidence %.12f, exact %.12f" structure la.LogEvidence evidence)

[<Fact>]
let ``KFAC equals the full GGN for a linear layer with a Gaussian likelihood, with bias and several outputs`` () =
    engine ()
    NativeEngine.Seed 5L
    let network = torch.nn.Sequential([| torch.nn.Linear(4L, 3L, dtype = f64) :> Module |])
    use data = new LabeledData(torch.randn(30L, 4L, dtype = f64), torch.randn(30L, 3L, dtype = f64))
    let fit structure =
        LaplacePosterior.Fit(network, Likelihood.Gaussian(GaussianNoise.Fixed, 0.5), data, options structure LaplaceSubset.AllWeights)
    use full = fit HessianStructure.Full
    use kron = fit HessianStructure.Kron
    use pf = full.Precision()
    use pk = kron.Precision()
    Assert.True(maxAbs pf pk < 1e-10, sprintf "KFAC differs from the full GGN by %g" (maxAbs pf pk))
    Assert.True(abs (full.LogEvidence - kron.LogEvidence) < 1e-8)

[<Fact>]
let ``the diagonal structure is the diagonal of the full GGN (classifier, all weights of an MLP)`` () =
    engine ()
    let network = mlp 7L 3 5 4 true
    use data = classification 7L 25 3 4
    let fit structure = LaplacePosterior.Fit(network, Likelihood.Categorical(), data, options structure LaplaceSubset.AllWeights)
    use full = fit HessianStructure.Full
    use diagonal = fit HessianStructure.Diagonal
    use pf = full.Precision()
    use pd = diagonal.Precision()
    Assert.True(maxAbs (pf.diagonal()) (pd.diagonal()) < 1e-10)
    Assert.True(maxAbs pd (torch.diag(pd.diagonal())) = 0.0)
    // and the full GGN is not diagonal here, so the comparison says something
    Assert.True(maxAbs pf (torch.diag(pf.diagonal())) > 1e-3)

/// J [C, D_sub] of the network's output at one example, by autograd through the functional form.
let private jacobian (la: LaplacePosterior) (x: torch.Tensor) =
    let functional = FunctionalNetwork.From(la.Network, la.InputShape, PriorSpec.Normal(0.0, 1.0))
    let theta = la.MapWeights.clone().requires_grad_(true)
    let f = functional.Forward(theta, x.unsqueeze 0).reshape(-1L)
    let rows =
        [| for c in 0L .. f.shape[0] - 1L ->
            torch.autograd.grad([| f[c] |], [| theta |], retain_graph = true)[0] |]
    let full = torch.stack(rows, 0L)
    // the subset's columns, in the layers' order (last layer: its weights are the last ones)
    full.narrow(1L, full.shape[1] - la.Dimension, la.Dimension)

[<Fact>]
let ``the GLM covariance equals J Sigma J^T with autograd Jacobians, for every structure and both subsets`` () =
    engine ()
    let network = mlp 3L 2 4 3 true
    use data = classification 3L 20 2 3
    use test = torch.randn(5L, 2L, dtype = f64)
    for subset in [ LaplaceSubset.AllWeights; LaplaceSubset.LastLayer ] do
        for structure in structures do
            use la = LaplacePosterior.Fit(network, Likelihood.Categorical(), data, options structure subset)
            use sigma = la.Covariance()
            let struct (mean, cov) = la.GlmDistribution test
            for i in 0L .. 4L do
                let j = jacobian la test[i]
                let expected = j.matmul(sigma).matmul(j.T)
                let err = maxAbs cov[i] expected
                Assert.True(err < 1e-10, sprintf "%A %A example %d: J Sigma J^T off by %g" subset structure i err)
            use f = network.forward(test)
            Assert.True(maxAbs mean f < 1e-12)

[<Fact>]
let ``GLM regression: the predictive variance is diag(J Sigma J^T) + sigma^2 and the mean the network's output`` () =
    engine ()
    let network = mlp 4L 1 6 2 true
    NativeEngine.Seed 40L
    use data = new LabeledData(torch.randn(30L, 1L, dtype = f64), torch.randn(30L, 2L, dtype = f64))
    use test = torch.linspace(-3.0, 3.0, 4L, dtype = f64).unsqueeze 1
    use la =
        LaplacePosterior.Fit(network, Likelihood.Gaussian(GaussianNoise.Fixed, 0.4), data,
                             options HessianStructure.Full LaplaceSubset.AllWeights)
    use predictive = la.Predict(test, 1)
    use sigma = la.Covariance()
    for i in 0L .. 3L do
        let j = jacobian la test[i]
        let expected = j.matmul(sigma).matmul(j.T).diagonal() + 0.16
        Assert.True(maxAbs predictive.Variances[0L, i] expected < 1e-10)
    Assert.True(maxAbs predictive.Samples[0L] (network.forward test) < 1e-12)

[<Fact>]
let ``draws of the weights have the posterior's covariance, within 5 standard errors, for every structure`` () =
    engine ()
    let network = mlp 9L 2 3 2 true
    use data = classification 9L 30 2 2
    let draws = 20000
    for structure in structures do
        use la = LaplacePosterior.Fit(network, Likelihood.Categorical(), data, LaplaceOptions(Hessian = structure, Rank = 3, Seed = 4L))
        use theta = la.SampleWeights draws
        let sub = theta.narrow(1L, theta.shape[1] - la.Dimension, la.Dimension)
        let centred = sub - la.MapWeights.narrow(0L, theta.shape[1] - la.Dimension, la.Dimension)
        let empirical = centred.T.matmul(centred) / float draws
        use sigma = la.Covariance()
        let d = sigma.diagonal()
        // se of a second moment of a zero-mean Gaussian: sqrt((S_ii S_jj + S_ij^2) / n)
        let se = ((d.outer d + sigma.square()) / float draws).sqrt()
        let worst = scalar (((empirical - sigma).abs() / se).max())
        Assert.True(worst < 5.0, sprintf "%A: a covariance entry is %.1f standard errors off" structure worst)

[<Fact>]
let ``tuning the prior precision reaches the exact evidence's maximum over a grid (linear regression, Kron)`` () =
    engine ()
    let x, y, _, network = regression 21L 60 3 0.5 1.0
    use data = new LabeledData(x, y.unsqueeze 1)
    use la = LaplacePosterior.Fit(network, Likelihood.Gaussian(GaussianNoise.Fixed, 0.5), data,
                                  LaplaceOptions(Hessian = HessianStructure.Kron, TunePrior = true, TuneSteps = 300))
    let tuned = la.LogEvidence
    let grid = [ for e in -30 .. 30 -> Math.Pow(10.0, float e / 10.0) ]
    let best = grid |> List.map (fun delta -> la.LogMarginalLikelihood([| delta |])) |> List.max
    Assert.True(tuned >= best - 1e-4, sprintf "tuned %.6f below the grid's best %.6f" tuned best)

[<Fact>]
let ``tuning the noise sd as well finds sigma near the data's and raises the evidence`` () =
    engine ()
    let x, y, _, network = regression 22L 200 3 0.5 1.0
    use data = new LabeledData(x, y.unsqueeze 1)
    use la = LaplacePosterior.Fit(network, Likelihood.Gaussian(GaussianNoise.Fixed, 2.0), data,
                                  LaplaceOptions(Hessian = HessianStructure.Full, TuneNoise = true, TuneSteps = 300))
    let before = la.LogMarginalLikelihood([| 1.0 |], 2.0)
    Assert.True(la.LogEvidence > before)
    // the residual sd of 200 draws of N(0, 0.5^2) is 0.5 within a few per cent
    Assert.InRange(la.NoiseSigma.Value, 0.42, 0.58)

[<Fact>]
let ``a Bayesian or dropout layer is an error naming the layer`` () =
    engine ()
    use data = classification 1L 10 3 2
    let bayes = torch.nn.Sequential([| torch.nn.Linear(3L, 4L) :> Module; BayesNN.BayesLinear(4L, 2L) |])
    let e = Assert.Throws<ArgumentException>(fun () -> LaplacePosterior.Fit(bayes, Likelihood.Categorical(), data) |> ignore)
    Assert.Contains("layer 1 '1' of type BayesLinear", e.Message)
    Assert.Contains("Bayesian layer", e.Message)
    let dropout = torch.nn.Sequential([| torch.nn.Linear(3L, 4L) :> Module; torch.nn.Dropout(0.5); torch.nn.Linear(4L, 2L) |])
    let e = Assert.Throws<ArgumentException>(fun () -> LaplacePosterior.Fit(dropout, Likelihood.Categorical(), data) |> ignore)
    Assert.Contains("layer 1 '1' of type Dropout", e.Message)
    Assert.Contains("dropout layer", e.Message)

[<Fact>]
let ``a Hessian over the memory budget is refused before it is formed, naming the layer, the bytes and a cheaper structure`` () =
    engine ()
    let network = torch.nn.Sequential([| torch.nn.Linear(784L, 400L) :> Module; torch.nn.ReLU(); torch.nn.Linear(400L, 10L) |])
    use data = new LabeledData(torch.randn(4L, 784L), torch.zeros(4L, dtype = torch.ScalarType.Int64))
    let o = LaplaceOptions(Subset = LaplaceSubset.AllWeights, Hessian = HessianStructure.Full, MemoryBudgetBytes = Nullable(1L <<< 30))
    let needed = LaplaceMemory.Estimate(network, [| 784L |], o)
    Assert.Equal(4L * 318010L * 318010L * 8L, needed)
    let e = Assert.Throws<ArgumentException>(fun () -> LaplacePosterior.Fit(network, Likelihood.Categorical(), data, o) |> ignore)
    Assert.Contains("layer 0 '0' (Linear 784 -> 400)", e.Message)
    Assert.Contains(sprintf "%s bytes" (needed.ToString "N0"), e.Message)
    Assert.Contains("Use a cheaper structure: Kron", e.Message)
    // the same network within the budget by the structure the message names
    let kron = LaplaceOptions(Subset = LaplaceSubset.AllWeights, Hessian = HessianStructure.Kron, MemoryBudgetBytes = Nullable(1L <<< 30))
    use la = LaplacePosterior.Fit(network, Likelihood.Categorical(), data, kron)
    Assert.Equal(318010L, la.Dimension)

[<Fact>]
let ``the full GGN of a classifier is sum_n J_n^T (diag p - p p^T) J_n with autograd Jacobians`` () =
    engine ()
    let network = mlp 13L 2 3 3 true
    use data = classification 13L 12 2 3
    let delta = 0.5
    use la = LaplacePosterior.Fit(network, Likelihood.Categorical(), data,
                                  LaplaceOptions(Subset = LaplaceSubset.AllWeights, Hessian = HessianStructure.Full,
                                                 PriorPrecision = delta))
    let mutable ggn = torch.zeros(la.Dimension, la.Dimension, dtype = f64)
    for i in 0L .. data.Count - 1L do
        let j = jacobian la data.Inputs[i]
        let p = network.forward(data.Inputs[i].unsqueeze 0).softmax(-1L).squeeze 0L
        let lambda = torch.diag p - p.outer p
        ggn <- ggn + j.T.matmul(lambda).matmul(j)
    use precision = la.Precision()
    let expected = ggn + delta * torch.eye(la.Dimension, dtype = f64)
    Assert.True(maxAbs precision expected < 1e-10, sprintf "off by %g" (maxAbs precision expected))

/// The softmax ignores a constant added to every logit, so E softmax(f) under the GLM's N(f*, J Sigma J^T) depends on the
/// logits' differences alone. A classifier's GGN has no curvature along that direction (Lambda 1 = 0), so there the posterior
/// keeps the prior's variance: last-layer Laplace adds about |a|^2 / delta to every logit's variance, which the softmax ignores.
[<Fact>]
let ``the probit predictive is the binary probit for two classes (MacKay 1992): the logit difference's mean and variance`` () =
    engine ()
    NativeEngine.Seed 61L
    let mean = torch.randn(6L, 2L, dtype = f64) * 3.0
    let l = torch.randn(6L, 2L, 2L, dtype = f64)
    let cov = l.matmul(l.transpose(1L, 2L)) * 4.0
    use p = LaplacePosterior.Probit(mean, cov)
    let column (t: torch.Tensor) (i: int64) = t.select(1L, i)
    let entry i j = cov.select(1L, i).select(1L, j)
    let d = column mean 0L - column mean 1L
    let v = entry 0L 0L + entry 1L 1L - 2.0 * entry 0L 1L
    let expected = torch.sigmoid(d / (1.0 + Math.PI / 8.0 * v).sqrt())
    let err = maxAbs (column p 0L) expected
    Assert.True(err < 1e-12, sprintf "off the binary probit by %g" err)
    Assert.True(maxAbs (p.sum(1L)) (torch.ones(6L, dtype = f64)) < 1e-12)

[<Fact>]
let ``the probit predictive ignores a constant added to every logit and its variance (the softmax's shift invariance)`` () =
    engine ()
    NativeEngine.Seed 62L
    let mean = torch.randn(5L, 4L, dtype = f64) * 2.0
    let l = torch.randn(5L, 4L, 4L, dtype = f64)
    let cov = l.matmul(l.transpose(1L, 2L))
    use p = LaplacePosterior.Probit(mean, cov)
    // f + c 1 with c ~ N(m, v) independent of f: mean + m 1, covariance + v 1 1^T; the same distribution of softmax(f)
    let ones = torch.ones(4L, 4L, dtype = f64)
    use shifted = LaplacePosterior.Probit(mean + 5.0, cov + 30.0 * ones)
    Assert.True(maxAbs p shifted < 1e-12, sprintf "a common shift moved the probabilities by %g" (maxAbs p shifted))
    // noise along 1 alone leaves softmax(f) unchanged, so E softmax(f) = softmax(f*)
    use common = LaplacePosterior.Probit(mean, 30.0 * ones.unsqueeze(0).expand(5L, 4L, 4L))
    let err = maxAbs common (mean.softmax 1L)
    Assert.True(err < 1e-12, sprintf "common noise moved the probabilities by %g" err)

[<Fact>]
let ``last-layer KFAC Laplace predicts the same with its last bias shifted by a constant (GLM probit)`` () =
    engine ()
    let network = mlp 63L 3 6 4 true
    use data = classification 63L 40 3 4
    use test = torch.randn(8L, 3L, dtype = f64)
    let o = LaplaceOptions(PriorPrecision = 0.5)
    use la = LaplacePosterior.Fit(network, Likelihood.Categorical(), data, o)
    use p = la.Predict(test, 1)
    let shiftedNetwork = mlp 63L 3 6 4 true
    let last = shiftedNetwork.children() |> Seq.item 2 :?> Linear
    using (torch.no_grad ()) (fun _ -> last.bias.add_(torch.tensor(7.0, dtype = f64)) |> ignore)
    use shifted = LaplacePosterior.Fit(shiftedNetwork, Likelihood.Categorical(), data, o)
    use q = shifted.Predict(test, 1)
    // the same softmax, the same GGN, the same prior: the same posterior over the logits' differences
    let struct (_, c1) = la.GlmDistribution test
    let struct (_, c2) = shifted.GlmDistribution test
    Assert.True(maxAbs c1 c2 < 1e-10)
    Assert.True(maxAbs p.Samples q.Samples < 1e-10, sprintf "the shift moved the probabilities by %g" (maxAbs p.Samples q.Samples))
