module BayesDL.Tests.Objectives.AdversarialObjectiveTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Objectives
open BayesDL.Tests.TestSupport

let private ce (logits: torch.Tensor) (y: torch.Tensor) = torch.nn.functional.cross_entropy(logits, y)

[<Fact>]
let ``the adversarial inputs move each pixel by epsilon along the sign of the analytic input gradient`` () =
    engine ()
    NativeEngine.Seed 11L
    let lin = torch.nn.Linear(6L, 4L)
    lin.``to``(torch.ScalarType.Float64) |> ignore
    use x = torch.rand([| 5L; 6L |], dtype = torch.ScalarType.Float64)
    use y = torch.tensor([| 0L; 1L; 2L; 3L; 1L |])
    let objective = AdversarialObjective(0.01)
    use adversarial = objective.AdversarialInputs(lin, x, y)
    // Softmax cross-entropy of a linear model: ∇_x (mean over B of ℓ_i) = (softmax(Wx + b) − onehot(y)) W / B.
    use probs = lin.forward(x).softmax(-1)
    use onehot = torch.nn.functional.one_hot(y, 4L).to_type(torch.ScalarType.Float64)
    use gradient = (probs - onehot).matmul(lin.weight) / 5.0
    use expected = x + gradient.sign() * 0.01
    Assert.True(scalar ((adversarial - expected).abs().max()) < 1e-12)
    Assert.Null(lin.weight.grad)
    // The loss is the clean mean NLL plus the NLL at the adversarial inputs, which is larger (a first-order ascent step).
    use loss = objective.Loss(lin, x, y)
    let clean, perturbed = scalar (ce (lin.forward x) y), scalar (ce (lin.forward expected) y)
    Assert.Equal(clean + perturbed, scalar loss, 10)
    Assert.True(perturbed > clean)
    // ε = 0 is plain NLL counted twice.
    use twice = AdversarialObjective(0.0).Loss(lin, x, y)
    Assert.Equal(2.0 * clean, scalar twice, 10)

[<Fact>]
let ``a negative epsilon or mismatched targets are rejected`` () =
    engine ()
    Assert.Contains("epsilon", (Assert.Throws<ArgumentException>(fun () -> AdversarialObjective(-0.1) |> ignore)).Message)
    let lin = torch.nn.Linear(2L, 2L)
    use x = torch.randn(3L, 2L)
    use y = torch.tensor([| 0L |])
    Assert.Throws<ArgumentException>(fun () -> AdversarialObjective().Loss(lin, x, y) |> ignore) |> ignore
