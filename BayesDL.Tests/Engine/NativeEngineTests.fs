module BayesDL.Tests.Engine.NativeEngineTests

open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Tests.TestSupport

[<Fact>]
let ``the engine loads and backward of matmul plus relu gives the analytic gradient`` () =
    engine ()
    NativeEngine.Seed 1L
    use scope = torch.NewDisposeScope()
    let x = torch.randn(32L, 784L, dtype = torch.ScalarType.Float64)
    let w = torch.randn(784L, 400L, dtype = torch.ScalarType.Float64).requires_grad_(true)
    let loss = x.matmul(w).relu().sum()
    loss.backward()
    // d/dW sum(relu(XW)) = X^T 1[XW > 0]
    let expected = x.T.matmul(x.matmul(w).gt(torch.tensor 0.0).to_type(torch.ScalarType.Float64))
    Assert.True(torch.allclose(w.grad, expected, rtol = 1e-12, atol = 1e-12))
    Assert.True(scalar loss > 0.0)

[<Fact>]
let ``the same seed gives the same numbers`` () =
    engine ()
    NativeEngine.Seed 7L
    let a = values (torch.randn 5L)
    NativeEngine.Seed 7L
    let b = values (torch.randn 5L)
    Assert.Equal<float[]>(a, b)
