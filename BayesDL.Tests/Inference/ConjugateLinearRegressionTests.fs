module BayesDL.Tests.Inference.ConjugateLinearRegressionTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Tests.TestSupport

let private problem seed n =
    NativeEngine.Seed seed
    let x = torch.rand(int64 n, dtype = torch.ScalarType.Float64) * 2.0 - 1.0
    let design = torch.stack([| torch.ones_like x; x |], 1L)
    let y = 1.5 - 2.0 * x + 0.5 * torch.randn_like x
    design, y

[<Fact>]
let ``with one weight the posterior is the textbook scalar formula`` () =
    engine ()
    let xs = [| 0.3; -1.2; 2.0; 0.7 |]
    let ys = [| 0.5; -2.0; 3.1; 1.4 |]
    let s2, t2 = 0.8 ** 2.0, 1.5 ** 2.0
    use x = cpu64.Tensor(xs, 4L, 1L)
    use y = cpu64.Tensor(ys, 4L)
    use p = ConjugateLinearRegression.Posterior(x, y, 0.8, 1.5)
    let precision = 1.0 / t2 + (Array.sumBy (fun v -> v * v) xs) / s2
    let mean = (Array.map2 (*) xs ys |> Array.sum) / s2 / precision
    Assert.Equal(mean, scalar p.Mean, 12)
    Assert.Equal(1.0 / precision, scalar p.Covariance, 12)

[<Fact>]
let ``the log evidence equals the sum of one-step predictive log densities (chain rule)`` () =
    engine ()
    let x, y = problem 3L 6
    let direct = ConjugateLinearRegression.LogEvidence(x, y, 0.5, 1.0)
    // log p(y) = sum_i log p(y_i | y_<i): each predictive is N(x_i m, sigma^2 + x_i S x_i^T) under the posterior so far.
    let mutable total = 0.0
    let mutable mean = torch.zeros(2L, dtype = torch.ScalarType.Float64)
    let mutable cov = torch.eye(2L, dtype = torch.ScalarType.Float64)
    for i in 0 .. 5 do
        let xi = x[i]
        let mu = scalar (xi.dot mean)
        let var = 0.25 + scalar (xi.dot(cov.matmul xi))
        let yi = scalar y[i]
        total <- total - 0.5 * (Math.Log(2.0 * Math.PI * var) + (yi - mu) ** 2.0 / var)
        use post = ConjugateLinearRegression.Posterior(x[torch.TensorIndex.Slice(0, i + 1)], y[torch.TensorIndex.Slice(0, i + 1)], 0.5, 1.0)
        mean <- post.Mean.clone()
        cov <- post.Covariance.clone()
    Assert.Equal(direct, total, 10)

[<Fact>]
let ``variational inference with a full-rank Gaussian recovers the exact posterior to 1e-6`` () =
    engine ()
    let x, y = problem 2026L 50
    use exact = ConjugateLinearRegression.Posterior(x, y, 0.5, 1.0)
    let fit = LinearRegressionVI.Fit(x, y, 0.5, 1.0)
    use q = fit.Q
    Assert.True(torch.allclose(q.Mean, exact.Mean, rtol = 0.0, atol = 1e-6), sprintf "means %A vs %A" (values q.Mean) (values exact.Mean))
    Assert.True(torch.allclose(q.Covariance, exact.Covariance, rtol = 0.0, atol = 1e-6))
    Assert.Equal(ConjugateLinearRegression.LogEvidence(x, y, 0.5, 1.0), fit.Elbo, 6)

[<Fact>]
let ``the ELBO of any other q is below the log evidence`` () =
    engine ()
    let x, y = problem 5L 20
    let logZ = ConjugateLinearRegression.LogEvidence(x, y, 0.5, 1.0)
    use exact = ConjugateLinearRegression.Posterior(x, y, 0.5, 1.0)
    let l = torch.linalg.cholesky exact.Covariance
    let atExact = scalar (LinearRegressionVI.Elbo(x, y, 0.5, 1.0, exact.Mean, l))
    Assert.Equal(logZ, atExact, 9)
    for shift in [ 0.01; 0.1; 1.0 ] do
        let worse = scalar (LinearRegressionVI.Elbo(x, y, 0.5, 1.0, exact.Mean + shift, l * (1.0 + shift)))
        Assert.True(worse < logZ, sprintf "ELBO %f >= log p(y) %f at shift %f" worse logZ shift)

[<Fact>]
let ``a non-positive noise level is an error naming the parameter and value`` () =
    engine ()
    let x, y = problem 1L 4
    let e = Assert.Throws<ArgumentException>(fun () -> ConjugateLinearRegression.Posterior(x, y, -0.5, 1.0) |> ignore)
    Assert.Contains("'noiseStd'", e.Message)
    Assert.Contains("-0.5", e.Message)
