module BayesDL.Tests.Mcmc.LogDensityTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

let private regression () =
    NativeEngine.Seed 4L
    let x = torch.rand(12L, dtype = torch.ScalarType.Float64) * 2.0 - 1.0
    let design = torch.stack([| torch.ones_like x; x |], 1L)
    design, 0.5 + 1.5 * x + 0.3 * torch.randn_like x

[<Fact>]
let ``the linear-regression target is the log joint: minus the exact log posterior it is log p(y) everywhere`` () =
    engine ()
    let x, y = regression ()
    let target = LogDensity.BayesianLinearRegression(x, y, 0.3, 2.0)
    use post = ConjugateLinearRegression.Posterior(x, y, 0.3, 2.0)
    let logEvidence = ConjugateLinearRegression.LogEvidence(x, y, 0.3, 2.0)
    // Bayes' rule: log p(w) + log p(y | w) - log p(w | y) = log p(y), for every w.
    let posterior = MathNet.Numerics.Distributions.MatrixNormal(
                        MathNet.Numerics.LinearAlgebra.Double.DenseMatrix.OfColumnMajor(2, 1, values post.Mean),
                        MathNet.Numerics.LinearAlgebra.Double.DenseMatrix.OfColumnMajor(2, 2, values post.Covariance),
                        MathNet.Numerics.LinearAlgebra.Double.DenseMatrix.OfColumnMajor(1, 1, [| 1.0 |]))
    use w = cpu64.Tensor([| 0.0; 0.0; 1.0; -1.0; 0.4; 1.6 |], 3L, 2L)
    let joint = values (target.Evaluate w)
    for i in 0 .. 2 do
        let wi = MathNet.Numerics.LinearAlgebra.Double.DenseMatrix.OfColumnMajor(2, 1, values w[i])
        Assert.Equal(logEvidence, joint[i] - log (posterior.Density wi), 9)

[<Fact>]
let ``the logistic-regression target sums y l - softplus(l) and the Gaussian log prior; labels must be 0 or 1`` () =
    engine ()
    let x, _ = regression ()
    let labels = cpu64.Tensor([| for i in 0 .. 11 -> float (i % 2) |], 12L)
    let target = LogDensity.BayesianLogisticRegression(x, labels, 1.5)
    let w = [| 0.3; -0.7 |]
    let xs, ys = values x, values labels
    let likelihood =
        Array.init 12 (fun i ->
            let l = xs[2 * i] * w[0] + xs[2 * i + 1] * w[1]
            ys[i] * l - log (1.0 + exp l)) |> Array.sum
    let prior = w |> Array.sumBy (fun v -> MathNet.Numerics.Distributions.Normal.PDFLn(0.0, 1.5, v))
    use at = cpu64.Tensor(w, 1L, 2L)
    Assert.Equal(likelihood + prior, scalar (target.Evaluate at), 10)
    let bad = cpu64.Tensor([| for i in 0 .. 11 -> if i = 5 then 2.0 else 0.0 |], 12L)
    let e = Assert.Throws<ArgumentException>(fun () -> LogDensity.BayesianLogisticRegression(x, bad, 1.5) |> ignore)
    Assert.Contains("found 2 at index [5]", e.Message)

[<Fact>]
let ``a per-vector function and its batched form give the same log densities and gradients`` () =
    engine ()
    let scalarForm = LogDensity.FromFunction(3, (fun v -> -(v.square().sum()) + v[0] * v[1]), cpu64)
    let batchedForm = LogDensity.FromBatchedFunction(3, (fun v -> -(v.square().sum(1L)) + v.select(1L, 0L) * v.select(1L, 1L)), cpu64)
    use q = cpu64.Tensor([| 0.1; 0.2; 0.3; -1.0; 2.0; 0.5 |], 2L, 3L)
    let struct (l1, g1) = Leapfrog.ValueAndGradient(scalarForm, q)
    let struct (l2, g2) = Leapfrog.ValueAndGradient(batchedForm, q)
    Assert.Equal<float[]>(values l1, values l2)
    Assert.Equal<float[]>(values g1, values g2)
    // d/dv of -|v|^2 + v0 v1 = (-2 v0 + v1, -2 v1 + v0, -2 v2)
    Assert.Equal<float[]>([| -0.0; -0.3; -0.6; 4.0; -5.0; -1.0 |], values g1 |> Array.map (fun v -> Math.Round(v, 12)))
    let e = Assert.Throws<ArgumentException>(fun () -> scalarForm.Evaluate(cpu64.Tensor([| 1.0; 2.0 |], 1L, 2L)) |> ignore)
    Assert.Contains("[chains, 3]", e.Message)

[<Fact>]
let ``the linear-regression target's closed-form gradient is autograd's, and a closed form of the wrong shape is refused`` () =
    engine ()
    let x, y = regression ()
    let target = LogDensity.BayesianLinearRegression(x, y, 0.3, 2.0)
    Assert.True target.HasClosedFormGradient
    // The same function without its closed form: the samplers differentiate it by autograd.
    let autodiff = LogDensity.FromBatchedFunction(2, (fun w -> target.Evaluate w), cpu64)
    NativeEngine.Seed 9L
    use w = 3.0 * torch.randn(5L, 2L, dtype = torch.ScalarType.Float64)
    let struct (closedValue, closedGradient) = Leapfrog.ValueAndGradient(target, w)
    let struct (autoValue, autoGradient) = Leapfrog.ValueAndGradient(autodiff, w)
    Array.iter2 (fun (a: float) b -> Assert.Equal(a, b, 9)) (values closedValue) (values autoValue)
    Array.iter2 (fun (a: float) b -> Assert.Equal(0.0, (a - b) / (1.0 + abs b), 10)) (values closedGradient) (values autoGradient)
    // The host path the samplers take gives the same numbers.
    let struct (hostValue, hostGradient) = Leapfrog.ValueAndGradient(target, values w, 5)
    Assert.Equal<float[]>(values closedGradient, hostGradient)
    Assert.Equal<float[]>(values closedValue, hostValue)
    let wrong = LogDensity.FromBatchedFunction(2, (fun v -> -(v.square().sum(1L))),
                                               (fun v -> struct (-(v.square().sum(1L)), v.sum(1L))), cpu64, "wrong")
    let e = Assert.Throws<ArgumentException>(fun () -> Leapfrog.ValueAndGradient(wrong, w) |> ignore)
    Assert.Contains("[5, 2]", e.Message)
