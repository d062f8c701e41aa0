module BayesDL.Tests.Layers.BayesConv2dTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

let private setup () =
    engineOneThread ()

let private conv estimator =
    NativeEngine.Seed 12L
    let l = BayesNN.BayesConv2d(2L, 3L, 3L, padding = 1L, options = BayesLayerOptions(Estimator = estimator, InitialRho = 0.0))
    cpu64.Apply l

[<Theory>]
[<InlineData(0)>]
[<InlineData(1)>]
[<InlineData(2)>]
let ``every estimator's conv outputs have the posterior's exact mean and variance`` (which: int) =
    setup ()
    let estimator = [| GradientEstimator.Reparameterization; GradientEstimator.LocalReparameterization; GradientEstimator.Flipout |][which]
    let l = conv estimator
    use x = torch.randn(1L, 2L, 4L, 4L, dtype = torch.ScalarType.Float64)
    // Exact moments of y = conv(x, W) + b under q: mean conv(x, mu) + b_mu, variance conv(x^2, sigma^2) + sigma_b^2.
    let stride, pad, dil = [| 1L; 1L |], [| 1L; 1L |], [| 1L; 1L |]
    let mean = values (torch.nn.functional.conv2d(x, l.WeightMu, l.BiasMu, stride, pad, dil, 1L))
    let var = values (torch.nn.functional.conv2d(x.square(), VariationalLayer.Sigma(l.WeightRho).square(),
                                                 VariationalLayer.Sigma(l.BiasRho).square(), stride, pad, dil, 1L))
    let k = 4000
    use _ = torch.no_grad()
    let draws = Array.init k (fun _ -> values (l.forward x))
    for j in 0 .. mean.Length - 1 do
        let xs = draws |> Array.map (fun d -> d[j])
        let m = Array.average xs
        let v = MathNet.Numerics.Statistics.Statistics.Variance xs
        // Sample mean SE sqrt(var/k); sample variance SE ≈ var sqrt(2/(k-1)) for Gaussian outputs (exact for all three).
        Assert.True(abs (m - mean[j]) <= 5.0 * sqrt (var[j] / float k), sprintf "%A mean %d: %g vs %g" estimator j m mean[j])
        Assert.True(abs (v - var[j]) <= 5.0 * var[j] * sqrt (2.0 / float (k - 1)), sprintf "%A variance %d: %g vs %g" estimator j v var[j])

[<Fact>]
let ``grouped draws give each group its own kernel and shapes are checked`` () =
    setup ()
    let l = conv GradientEstimator.Reparameterization
    use x = torch.ones(4L, 2L, 4L, 4L, dtype = torch.ScalarType.Float64)
    l.WeightDraws <- 2
    let out = l.forward x
    Assert.Equal<int64[]>([| 4L; 3L; 4L; 4L |], out.shape)
    Assert.Equal<float[]>(values out[0L], values out[1L])
    Assert.NotEqual<float[]>(values out[0L], values out[2L])
    let e = Assert.Throws<ArgumentException>(fun () -> l.forward(torch.ones(4L, 5L, 4L, 4L, dtype = torch.ScalarType.Float64)) |> ignore)
    Assert.Contains("[batch, 2, height, width]", e.Message)
