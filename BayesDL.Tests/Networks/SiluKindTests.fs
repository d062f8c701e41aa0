/// SiLU, the layer kind added as one file (BayesDL.Core/Networks/SiluKind.cs) plus one DSL line: declared from C# and F#,
/// trained, saved and loaded, and sampled with NUTS. (Its functional form and model-file round trip are also checked with
/// every other registered kind in LayerKindsTests.)
module BayesDL.Tests.Networks.SiluKindTests

open System
open System.IO
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Mcmc
open BayesDL.Models
open BayesDL.Networks
open BayesDL.Tests.TestSupport

let private swish (v: float) = v / (1.0 + exp (-v))

let private bayesianSilu () =
    ModelBuilder.Sequential().BayesLinear(2L, 8L).Add(SiluKind.Layer).BayesLinear(8L, 1L).WithLikelihood(Likelihoods.Gaussian 0.1)

[<Fact>]
let ``SiLU is x sigmoid(x) as a module and as a functional form, and C# and the F# DSL declare the same layer`` () =
    engine ()
    let composed = Model.toBuilder
                       (model { network (bayesLinear 2L 8L >> Activation.silu >> bayesLinear 8L 1L); likelihood (gaussianWith 0.1) })
    Assert.Equal<LayerSpec>((bayesianSilu ()).Layers, composed.Layers)
    Assert.Empty(composed.Validate())
    Assert.Equal("SiLU", composed.Layers[1].Name)
    let xs = [| -30.0; -6.0; -1.5; -0.3; 0.0; 0.7; 2.0; 9.0; 40.0 |]
    use x = cpu64.Tensor(xs, 1L, int64 xs.Length)
    use net = torch.nn.Sequential([| torch.nn.SiLU() :> torch.nn.Module<torch.Tensor, torch.Tensor> |])
    let functional = FunctionalNetwork.From(net, [| int64 xs.Length |], Priors.Normal())
    Assert.Equal(0, functional.Dimension)
    use moduleOutput = net.forward x
    use functionalOutput = functional.Forward(torch.zeros(1L, 0L, dtype = torch.ScalarType.Float64), x)
    // Both are x / (1 + exp(-x)) in float64: a few ulps apart at most.
    Array.iteri (fun i v -> Assert.Equal(swish v, (values moduleOutput)[i], 14)) xs
    Array.iteri (fun i v -> Assert.Equal(swish v, (values functionalOutput)[i], 14)) xs

[<Fact>]
let ``a Bayesian SiLU network trains, and its model file loads bitwise, predicting identically`` () =
    engineOneThread ()
    NativeEngine.Seed 5L
    let x = torch.randn(64L, 2L)
    use data = new LabeledData(x, x.sum(1L, keepdim = true).sin())
    use model = (bayesianSilu ()).Build()
    let before = model.Network.state_dict() |> Seq.map (fun kv -> kv.Key, kv.Value.detach().clone()) |> Map.ofSeq
    let reports = model.Fit(data, VariationalFitOptions(Epochs = 2, BatchSize = 16, LearningRate = 0.01))
    Assert.Equal(2, reports.Count)
    Assert.All(reports, fun r -> Assert.True(Double.IsFinite r.MeanLoss && Double.IsFinite r.Elbo,
                                             sprintf "epoch %d: loss %g" r.Epoch r.MeanLoss))
    // Every parameter moved (the gradient reaches the layer before the SiLU through it).
    for KeyValue(key, value) in model.Network.state_dict() do
        Assert.False(value.allclose(before[key]), sprintf "%s did not change in training" key)
    use dir = new TempDir()
    ModelFile.Save(model.Network, dir.File "silu.bnn")
    use loaded = ModelFile.Load(dir.File "silu.bnn")
    Assert.IsType<Modules.SiLU>(loaded.Body.children() |> Seq.item 1) |> ignore
    for KeyValue(key, value) in model.Network.state_dict() do
        Assert.True(value.eq(loaded.state_dict()[key]).all().item<bool>(), sprintf "%s differs after loading" key)
    let predict (network: BayesianNetwork) =
        network.eval()
        NativeEngine.Seed 9L
        use _ = torch.no_grad()
        let p = network.Predict(x, 4)
        values p.Samples
    Assert.Equal<float[]>(predict model.Network, predict loaded)

[<Fact>]
let ``NUTS samples a SiLU network, whose log density is the modules' Gaussian log likelihood plus the prior`` () =
    engineOneThread ()
    NativeEngine.Seed 7L
    let x = torch.linspace(-2.0, 2.0, 16L, dtype = torch.ScalarType.Float64).unsqueeze 1L
    let y = torch.sin(2.0 * x) + 0.1 * torch.randn_like x
    let sigma, priorScale = 0.2, 1.5
    let builder =
        ModelBuilder.Sequential().Linear(1L, 6L).Add(SiluKind.Layer).Linear(6L, 1L)
            .WithPrior(Priors.Normal(0.0, priorScale)).WithLikelihood(Likelihoods.Gaussian sigma)
    let target = builder.LogDensity(x, y)
    Assert.Equal(6 + 6 + 6 + 1, target.Dimension)
    // The same weights in the built TorchSharp modules, the log joint written out by hand.
    use net = builder.BuildNetwork(cpu64)
    do
        use _ = torch.no_grad()
        for p in net.parameters() do p.normal_() |> ignore
    use theta = target.Network.Pack(net).unsqueeze 0L
    let logNormal (v: torch.Tensor) (mean: torch.Tensor) (scale: float) =
        scalar ((-0.5 * ((v - mean) / scale).square() - log scale - 0.5 * log (2.0 * Math.PI)).sum())
    let expected =
        use f = net.forward x
        logNormal y f sigma + logNormal theta (torch.zeros_like theta) priorScale
    Assert.Equal(expected, scalar (target.Target.Evaluate theta), 9)
    // Trees of at most 2^5 leapfrog steps keep this to seconds (depth 10 takes minutes on this multimodal target).
    use posterior = builder.SampleNuts(x, y, HmcOptions(Samples = 60, Warmup = 60, Chains = 2, Seed = 3L, MaxTreeDepth = 5))
    Assert.True(posterior.Result.Samples.isfinite().all().item<bool>())
    // Step-size adaptation aims at 0.8 acceptance; far below it the sampler would be broken on this target.
    Assert.True(posterior.Result.AcceptanceRate > 0.5, sprintf "acceptance %g" posterior.Result.AcceptanceRate)
    // The posterior predictive mean fits sin(2x): residuals near the data noise (sd 0.1; measured 0.07 with seed 3), where
    // a mean that missed the curve would be off by about the targets' spread (sd 0.68).
    use predictive = posterior.Predict x
    let rmse = sqrt (scalar ((predictive.Mean().squeeze(-1L) - y.squeeze(-1L)).square().mean()))
    Assert.True(rmse < 2.0 * 0.1, sprintf "predictive RMSE %g against noise sd 0.1" rmse)
