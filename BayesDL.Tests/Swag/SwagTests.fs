/// SWAG's moments and sampling scale on a quadratic loss whose SGD iterates are known draws, the rank errors, and fits of declared
/// networks (SWAG, MultiSWAG) through the builders.
module BayesDL.Tests.Swag.SwagTests

open System
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Swag
open BayesDL.Training
open BayesDL.Tests.TestSupport

let private f64 = torch.ScalarType.Float64

/// SGD with rate 1 and batch size 1 on L(theta) = 1/2 |theta - x_b|^2 moves theta to x_b exactly: the iterates are the rows of x,
/// here N = 400 draws of N(mu, Sigma) in 3 dimensions, in the loop's shuffled order.
let private iterates () =
    engineOneThread ()
    BayesDL.Engine.NativeEngine.Seed 3L
    let sigma = torch.tensor(array2D [ [ 1.0; 0.6; 0.0 ]; [ 0.6; 2.0; -0.5 ]; [ 0.0; -0.5; 0.5 ] ], dtype = f64)
    let x = torch.randn(400L, 3L, dtype = f64).matmul(torch.linalg.cholesky(sigma).T) + torch.tensor([| 1.0; -2.0; 0.5 |], dtype = f64)
    let theta = new Modules.Parameter(torch.zeros(3L, dtype = f64))
    let collector = SwagCollector.Create 400
    let trainer = Trainer(TrainerOptions(Epochs = 1, BatchSize = 1, Optimizer = OptimizerKind.Sgd, LearningRate = 1.0, Seed = 1L))
    trainer.Fit([ theta ], 400L, (fun rows _ -> (theta - x.index_select(0L, rows).squeeze(0L)).square().sum() * 0.5),
                onStep = fun r -> collector.Collect r.Parameters) |> ignore
    x, sigma, collector.ToGaussian()

[<Fact>]
let ``SWAG's mean and diagonal are the iterates' moments and its low-rank part their covariance`` () =
    let x, sigma, swag = iterates ()
    use _ = swag
    Assert.Equal(400, swag.Snapshots)
    Assert.True((swag.Mean - x.mean([| 0L |])).abs().max() |> scalar < 1e-12)
    Assert.True((swag.Variance - x.var(0L, unbiased = false)).abs().max() |> scalar < 1e-10)
    // D^T D / (K - 1) estimates Sigma from 400 draws: the standard error of a sample covariance entry is sqrt((S_jk^2 + S_jj S_kk) / N)
    // (Wishart); the deviations from the running mean bias it by (ln N - 1) / N, about 1.2%, far inside 4 standard errors.
    let lowRank = swag.Deviations.T.matmul(swag.Deviations) / 399.0
    let se = ((sigma.square() + sigma.diagonal().unsqueeze(1) * sigma.diagonal().unsqueeze(0)) / 400.0).sqrt()
    let z = ((lowRank - sigma).abs() / se).max() |> scalar
    Assert.True(z < 4.0, sprintf "largest deviation %.2f standard errors" z)

[<Fact>]
let ``SWAG draws have the paper's covariance: half the diagonal plus half the low-rank part`` () =
    let x, sigma, swag = iterates ()
    use _ = swag
    let draws = swag.Sample(40000, 7L)
    let centred = draws - draws.mean([| 0L |])
    let empirical = centred.T.matmul(centred) / 39999.0
    let expected = swag.Covariance()
    // Draws are exactly Gaussian: the same Wishart standard error, with N = 40,000.
    let se = ((expected.square() + expected.diagonal().unsqueeze(1) * expected.diagonal().unsqueeze(0)) / 40000.0).sqrt()
    let z = ((empirical - expected).abs() / se).max() |> scalar
    Assert.True(z < 4.0, sprintf "draws' covariance off by %.2f standard errors" z)
    // And that covariance is the iterates' on the diagonal (both parts estimate Sigma_jj) and half of it off the diagonal.
    let target = (sigma + torch.diag(sigma.diagonal())) / 2.0
    let seIterates = ((sigma.square() + sigma.diagonal().unsqueeze(1) * sigma.diagonal().unsqueeze(0)) / 400.0).sqrt()
    let zIterates = ((expected - target).abs() / seIterates).max() |> scalar
    Assert.True(zIterates < 4.0, sprintf "SWAG covariance off the iterates' by %.2f standard errors" zIterates)

[<Fact>]
let ``a rank above the snapshots collected is an error naming both numbers`` () =
    engineOneThread ()
    let collector = SwagCollector.Create 5
    for i in 1 .. 3 do collector.Collect(torch.full(2L, float i, dtype = f64))
    let e = Assert.Throws<InvalidOperationException>(fun () -> collector.ToGaussian() |> ignore)
    Assert.Contains("rank K = 5", e.Message)
    Assert.Contains("3 snapshots", e.Message)
    let model = ModelBuilder.Sequential().Linear(2L, 4L).Relu().Linear(4L, 2L).WithLikelihood(Likelihoods.Categorical())
    use data = new LabeledData(torch.randn(32L, 2L), torch.zeros(32L, dtype = torch.ScalarType.Int64))
    let options = SwagOptions(Rank = 20, Epochs = 10, BurnInEpochs = 5, BatchSize = 32)
    let e = Assert.Throws<ArgumentException>(fun () -> model.FitSwag(data, options, BayesDL.Engine.ComputePolicy.Cpu) |> ignore)
    Assert.Contains("rank K = 20", e.Message)
    Assert.Contains("5 snapshots", e.Message)

let private blobs n =
    BayesDL.Engine.NativeEngine.Seed 8L
    let y = torch.randint(2L, [| int64 n |], dtype = torch.ScalarType.Int64)
    let x = torch.randn(int64 n, 2L) * 0.5 + (y.to_type(torch.ScalarType.Float32) * 3.0 - 1.5).unsqueeze(1)
    new LabeledData(x, y)

[<Fact>]
let ``SWAG and MultiSWAG fit a declared classifier and predict through PredictiveSamples`` () =
    engineOneThread ()
    use data = blobs 200
    let model = ModelBuilder.Sequential().Linear(2L, 16L).Relu().Linear(16L, 2L).WithLikelihood(Likelihoods.Categorical())
    let options cycles =
        SwagOptions(Rank = 4, Epochs = 12, BurnInEpochs = 4, BatchSize = 20, LearningRate = 0.05, SnapshotsPerEpoch = 2, Cycles = cycles)
    use swag = model.FitSwag(data, options 0, BayesDL.Engine.ComputePolicy.Cpu)
    Assert.Equal(16, swag.Gaussian.Snapshots)
    use p = swag.Predict(data.Inputs, 20)
    Assert.Equal(20L, p.SampleCount)
    Assert.True(BayesDL.Metrics.ClassificationMetrics.Accuracy(p.Mean(), data.Targets) > 0.95)
    use multi = model.FitMultiSwag(data, 3, options 4, BayesDL.Engine.ComputePolicy.Cpu)
    Assert.Equal(3, multi.Members.Count)
    Assert.All(multi.Members, fun m -> Assert.Equal(4, m.Gaussian.Snapshots))
    use pm = multi.Predict(data.Inputs, 12)
    Assert.Equal(12L, pm.SampleCount)

[<Fact>]
let ``MultiSWAG starts member m from row m of the given weights, and a wrong shape names the argument and both shapes`` () =
    engineOneThread ()
    use data = blobs 100
    let model = ModelBuilder.Sequential().Linear(2L, 16L).Relu().Linear(16L, 2L).WithLikelihood(Likelihoods.Categorical())
    let d = 2L * 16L + 16L + 16L * 2L + 2L
    // Two far-apart starts; a rate so small that SGD cannot move the weights measurably: each member's SWAG mean is its start.
    use initial = torch.stack([| torch.full(d, 0.3f); torch.full(d, -0.2f) |])
    let options = SwagOptions(Rank = 2, Epochs = 2, BurnInEpochs = 0, BatchSize = 25, LearningRate = 1e-9, SnapshotsPerEpoch = 2)
    use multi = model.FitMultiSwag(data, 2, options, BayesDL.Engine.ComputePolicy.Cpu, initial)
    for m in 0 .. 1 do
        let mean = multi.Members[m].Gaussian.Mean.to_type(torch.ScalarType.Float64)
        let gap = (mean - initial[int64 m].to_type(torch.ScalarType.Float64)).abs().max().item<float>()
        Assert.True(gap < 1e-5, sprintf "member %d: SWAG mean %g from its start" m gap)
    use wrong = torch.zeros(3L, d)
    let e = Assert.Throws<ArgumentException>(fun () ->
        model.FitMultiSwag(data, 2, options, BayesDL.Engine.ComputePolicy.Cpu, wrong) |> ignore)
    Assert.Contains("initial", e.Message)
    Assert.Contains("[3, 82]", e.Message)
    Assert.Contains("[2, 82]", e.Message)
