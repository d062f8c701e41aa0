module BayesDL.Tests.Inference.DeepEnsembleTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Objectives
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

let private maxAbs (a: torch.Tensor) (b: torch.Tensor) = scalar ((a - b).abs().max())

[<Fact>]
let ``an ensemble's predictive averages its members' softmax outputs`` () =
    engine ()
    NativeEngine.Seed 31L
    let members = [ for _ in 1..3 -> torch.nn.Linear(5L, 4L) :> Module ]
    let ensemble = DeepEnsemble(members)
    use x = torch.randn(10L, 5L)
    use p = ensemble.Predict(x)
    Assert.Equal(3L, p.SampleCount)
    use expected = (members |> List.map (fun m -> m.forward(x).softmax(-1L)) |> List.reduce (+)) / 3.0
    Assert.True(maxAbs (p.Mean()) expected < 1e-6)
    // Differently initialized members disagree, so the mutual information is positive.
    Assert.True(scalar (p.MutualInformation().mean()) > 1e-4)
    use two = ensemble.Predict(x, 2)
    use expected2 = (members |> List.take 2 |> List.map (fun m -> m.forward(x).softmax(-1L)) |> List.reduce (+)) / 2.0
    Assert.True(maxAbs (two.Mean()) expected2 < 1e-6)
    let e = Assert.Throws<ArgumentException>(fun () -> ensemble.Predict(x, 4) |> ignore)
    Assert.Contains("number of members (3)", e.Message)

[<Fact>]
let ``a heteroscedastic regression ensemble has the mixture's mean and variance`` () =
    // Member m outputs constant [mu_m, softplus^-1(s_m)]: mixture mean = mean mu, variance = mean s2 + var(mu).
    engine ()
    let constant (mu: float) (s2: float) =
        let lin = torch.nn.Linear(1L, 2L)
        lin.``to``(torch.ScalarType.Float64) |> ignore
        use _ = torch.no_grad()
        lin.weight.zero_() |> ignore
        lin.bias.copy_(torch.tensor([| mu; Math.Log(Math.Exp(sqrt s2 - 1e-6) - 1.0) |], dtype = torch.ScalarType.Float64)) |> ignore
        lin :> Module
    let ensemble = DeepEnsemble([ constant 1.0 0.5; constant 3.0 1.5 ], Likelihood.Gaussian(GaussianNoise.Heteroscedastic))
    use x = torch.zeros([| 1L; 1L |], dtype = torch.ScalarType.Float64)
    use p = ensemble.Predict(x)
    Assert.Equal(2.0, scalar (p.Mean()), 12)
    Assert.Equal(1.0, scalar (p.AleatoricVariance()), 12)
    Assert.Equal(1.0, scalar (p.EpistemicVariance()), 12)
    Assert.Equal(2.0, scalar (p.TotalVariance()), 12)
