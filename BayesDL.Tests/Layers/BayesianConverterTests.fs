module BayesDL.Tests.Layers.BayesianConverterTests

open System
open Xunit
open TorchSharp
open TorchSharp.Modules
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

[<Fact>]
let ``Linear and Conv2d become Bayesian, other modules stay, and MOPED starts at the trained weights`` () =
    engine ()
    NativeEngine.Seed 3L
    let net = torch.nn.Sequential(torch.nn.Conv2d(1L, 2L, 3L, padding = 1L), torch.nn.ReLU(), torch.nn.Flatten(),
                                  torch.nn.Linear(32L, 3L, hasBias = false))
    let bnn = BayesianConverter.Convert(net, BayesLayerOptions(Estimator = GradientEstimator.Flipout), mopedDelta = 0.1)
    let children = bnn.children() |> Array.ofSeq
    Assert.IsType<BayesConv2d>(children[0]) |> ignore
    Assert.IsType<ReLU>(children[1]) |> ignore
    let lin = Assert.IsType<BayesLinear>(children[3])
    Assert.Null(lin.BiasMu) // the deterministic layer had no bias
    let source = (net.children() |> Seq.item 3 :?> Linear).weight
    Assert.Equal<float[]>(values source, values lin.WeightMu)
    let sigma = values (VariationalLayer.Sigma lin.WeightRho)
    Array.iter2 (fun (w: float) (s: float) -> Assert.Equal(max (0.1 * abs w) 1e-8, s, 5)) (values source) sigma
    let conv = children[0] :?> BayesConv2d
    Assert.Equal(GradientEstimator.Flipout, conv.Options.Estimator)
    Assert.Equal<float[]>(values (net.children() |> Seq.head :?> Conv2d).bias, values conv.BiasMu)
    // The converted network runs end to end.
    Assert.Equal<int64[]>([| 5L; 3L |], bnn.forward(torch.randn(5L, 1L, 4L, 4L)).shape)

[<Fact>]
let ``without MOPED the posterior is freshly initialised; unsupported convolutions are refused`` () =
    engine ()
    let net = torch.nn.Sequential(torch.nn.Linear(4L, 2L))
    let bnn = BayesianConverter.Convert(net)
    let lin = bnn.children() |> Seq.head :?> BayesLinear
    Assert.NotEqual<float[]>(values (net.children() |> Seq.head :?> Linear).weight, values lin.WeightMu)
    let grouped = torch.nn.Sequential(torch.nn.Conv2d(2L, 2L, 3L, groups = 2L))
    let e = Assert.Throws<ArgumentException>(fun () -> BayesianConverter.Convert(grouped) |> ignore)
    Assert.Contains("groups 2", e.Message)
    Assert.Throws<ArgumentException>(fun () -> BayesianConverter.Convert(net, mopedDelta = -1.0) |> ignore) |> ignore
