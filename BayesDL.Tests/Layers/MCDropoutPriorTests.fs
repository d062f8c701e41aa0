module BayesDL.Tests.Layers.MCDropoutPriorTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

let private squares (m: torch.nn.Module) = m.parameters() |> Seq.sumBy (fun w -> scalar (w.square().sum()))

[<Fact>]
let ``the coefficient is l squared times the keep probability over 2 N tau`` () =
    let prior = MCDropoutPrior(LengthScale = 2.0, TrainingExamples = 8000L, Precision = 0.5)
    // 4 · 0.5 / (2 · 8000 · 0.5) = 2.5e-4; with no dropout in front the keep probability is 1: 5e-4.
    Assert.Equal(2.5e-4, prior.Coefficient 0.5, 15)
    Assert.Equal(5e-4, prior.Coefficient 0.0, 15)

[<Fact>]
let ``the regularizer weights each layer by the rate of the dropout in front of it and skips concrete dropout`` () =
    engine ()
    NativeEngine.Seed 5L
    let l1, l2, l3 = torch.nn.Linear(6L, 5L), torch.nn.Linear(5L, 4L), torch.nn.Linear(4L, 3L)
    let mc = MCDropoutConverter.Convert(torch.nn.Sequential([| l1 :> Module; torch.nn.ReLU(); l2; torch.nn.ReLU(); l3 |]),
                                        MCDropoutConversion(P = 0.5, InputP = 0.0))
    let prior = MCDropoutPrior(1.5, 100L)
    // Layer 1 has no dropout in front (keep 1), layers 2 and 3 have p = 0.5 (keep 0.5): λ = 2.25·keep/200.
    let expected = 2.25 / 200.0 * (squares l1 + 0.5 * squares l2 + 0.5 * squares l3)
    use r = prior.Regularizer mc
    Assert.Equal(expected, scalar r, 6)
    Assert.Equal<float list>([ 0.0; 0.5; 0.5 ], MCDropoutPrior.WeightLayers mc |> Seq.map (fun struct (_, p) -> p) |> List.ofSeq)
    // The gradient flows to the weights: d/dW λ‖W‖² = 2λW.
    r.backward()
    Assert.True(scalar ((l2.weight.grad - l2.weight * (2.0 * 2.25 * 0.5 / 200.0)).abs().max()) < 1e-7)
    // A ConcreteDropout-wrapped layer brings its own regularizer and is not counted twice.
    let inner = torch.nn.Linear(4L, 2L)
    let withConcrete = torch.nn.Sequential([| torch.nn.Linear(3L, 4L) :> Module;
                                              BayesNN.ConcreteDropout(inner, ConcreteDropoutOptions()) |])
    Assert.Equal(1, (MCDropoutPrior.WeightLayers withConcrete).Count)

[<Fact>]
let ``bad prior settings are rejected with the parameter named`` () =
    engine ()
    let model = torch.nn.Sequential([| torch.nn.Linear(2L, 2L) :> Module |])
    let e = Assert.Throws<ArgumentException>(fun () -> MCDropoutPrior(-1.0, 10L).Regularizer model |> ignore)
    Assert.Contains("LengthScale", e.Message)
    Assert.Throws<ArgumentException>(fun () -> MCDropoutPrior(1.0, 0L).Coefficient 0.5 |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> MCDropoutPrior(1.0, 10L).Coefficient 1.0 |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () ->
        MCDropoutPrior(1.0, 10L).Regularizer(torch.nn.Sequential([| torch.nn.ReLU() :> Module |])) |> ignore) |> ignore
