module BayesDL.Tests.Objectives.AlphaDivergenceObjectiveTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Objectives
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

let private ce (logits: torch.Tensor) (y: torch.Tensor) =
    torch.nn.functional.cross_entropy(logits, y, reduction = torch.nn.Reduction.None)

[<Fact>]
let ``with explicit masks the loss is minus one over alpha times the log of the mean of p to the alpha`` () =
    engine ()
    NativeEngine.Seed 9L
    let drop = BayesNN.MCDropout(0.5)
    let lin = torch.nn.Linear(4L, 3L)
    let model = torch.nn.Sequential([| drop :> Module; lin |])
    model.``to``(torch.ScalarType.Float64) |> ignore
    let K, B = 3L, 2L
    use x = torch.randn([| B; 4L |], dtype = torch.ScalarType.Float64)
    use y = torch.tensor([| 2L; 0L |])
    // Masks [K·B, 4] in the objective's row order k·B + i.
    use m = torch.empty([| K * B; 4L |], dtype = torch.ScalarType.Float64).bernoulli_(0.5)
    drop.MaskSource <- Func<int64[], torch.Tensor>(fun _ -> m)
    let alpha = 0.5
    use loss = AlphaDivergenceObjective(alpha, int K).Loss(model, x, y)
    // By hand: log p_k(y_i | x_i) for each mask, then -(1/α) log (1/K) Σ_k p^α, averaged over i.
    let logp =
        [| for k in 0L .. K - 1L ->
            [| for i in 0L .. B - 1L ->
                use xi = (x[i] * m[k * B + i] / 0.5).unsqueeze(0L)
                -(scalar (ce (lin.forward xi) (y[i].unsqueeze(0L)))) |] |]
    let expected =
        [ for i in 0 .. int B - 1 ->
              -(1.0 / alpha) * Math.Log((Array.sumBy (fun (row: float[]) -> Math.Exp(alpha * row[i])) logp) / float K) ]
        |> List.average
    Assert.Equal(expected, scalar loss, 10)

[<Fact>]
let ``identical samples give the cross-entropy for any alpha, and small alpha gives the mean dropout loss`` () =
    engine ()
    NativeEngine.Seed 10L
    let lin = torch.nn.Linear(5L, 4L)
    use x = torch.randn(8L, 5L)
    use y = torch.randint(4L, [| 8L |])
    use plain = (ce (lin.forward x) y).mean()
    for alpha in [ 0.5; 1.0; 2.0 ] do
        use l = AlphaDivergenceObjective(alpha, 4).Loss(lin, x, y)
        Assert.Equal(scalar plain, scalar l, 5)
    // α → 0: -(1/α) log mean exp(α ℓ_k) = -mean ℓ_k + O(α) (cumulant expansion); with α = 1e-4 the O(α·var) term is < 1e-3.
    let drop = BayesNN.MCDropout(0.5)
    let model = torch.nn.Sequential([| drop :> Module; lin |])
    let masks = torch.empty([| 4L * 8L; 5L |]).bernoulli_(0.5)
    drop.MaskSource <- Func<int64[], torch.Tensor>(fun _ -> masks)
    use small = AlphaDivergenceObjective(1e-4, 4).Loss(model, x, y)
    use dropoutLoss = (ce (lin.forward(x.repeat(4L, 1L) * masks / 0.5)) (y.repeat(4L))).mean()
    Assert.InRange(scalar small - scalar dropoutLoss, -1e-3, 1e-3)

[<Fact>]
let ``bad alpha, sample count or target count are rejected`` () =
    engine ()
    let lin = torch.nn.Linear(2L, 2L)
    Assert.Contains("alpha", (Assert.Throws<ArgumentException>(fun () -> AlphaDivergenceObjective(0.0) |> ignore)).Message)
    Assert.Throws<ArgumentException>(fun () -> AlphaDivergenceObjective(0.5, 0) |> ignore) |> ignore
    use x = torch.randn(3L, 2L)
    use y = torch.tensor([| 0L; 1L |])
    Assert.Throws<ArgumentException>(fun () -> AlphaDivergenceObjective().Loss(lin, x, y) |> ignore) |> ignore
