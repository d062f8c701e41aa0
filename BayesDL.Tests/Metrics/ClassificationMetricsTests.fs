module BayesDL.Tests.Metrics.ClassificationMetricsTests

open System
open Xunit
open TorchSharp
open BayesDL.Metrics
open BayesDL.Tests.TestSupport

let private probs () = cpu64.Tensor([| 0.7; 0.2; 0.1;  0.1; 0.3; 0.6;  0.25; 0.5; 0.25 |], 3L, 3L)
let private labels (ys: int64[]) = torch.tensor(ys)

[<Fact>]
let ``accuracy, NLL and Brier match hand computation`` () =
    engine ()
    use p = probs ()
    use y = labels [| 0L; 1L; 1L |]
    Assert.Equal(2.0 / 3.0, ClassificationMetrics.Accuracy(p, y), 12)
    Assert.Equal(-(Math.Log 0.7 + Math.Log 0.3 + Math.Log 0.5) / 3.0, ClassificationMetrics.NegativeLogLikelihood(p, y), 12)
    let brier =
        ((0.3 ** 2.0 + 0.2 ** 2.0 + 0.1 ** 2.0) + (0.1 ** 2.0 + 0.7 ** 2.0 + 0.6 ** 2.0) + (0.25 ** 2.0 + 0.5 ** 2.0 + 0.25 ** 2.0)) / 3.0
    Assert.Equal(brier, ClassificationMetrics.BrierScore(p, y), 12)

[<Fact>]
let ``a confident miss gives a large finite NLL`` () =
    engine ()
    use p = cpu64.Tensor([| 1.0; 0.0 |], 1L, 2L)
    use y = labels [| 1L |]
    let nll = ClassificationMetrics.NegativeLogLikelihood(p, y)
    Assert.True(Double.IsFinite nll && nll > 20.0)

[<Fact>]
let ``bad labels and shapes are refused with the metric, value and range`` () =
    engine ()
    use p = probs ()
    let e = Assert.Throws<ArgumentException>(fun () -> ClassificationMetrics.Accuracy(p, labels [| 0L; 3L; 1L |]) |> ignore)
    Assert.Contains("ClassificationMetrics.Accuracy", e.Message)
    Assert.Contains("label 3", e.Message)
    Assert.Contains("[0, 2]", e.Message)
    let e2 = Assert.Throws<ArgumentException>(fun () -> ClassificationMetrics.BrierScore(p, labels [| 0L; 1L |]) |> ignore)
    Assert.Contains("shape [3]", e2.Message)
    use p3 = cpu64.Tensor(Array.create 6 0.5, 1L, 3L, 2L)
    let e3 = Assert.Throws<ArgumentException>(fun () -> ClassificationMetrics.NegativeLogLikelihood(p3, labels [| 0L; 1L; 1L |]) |> ignore)
    Assert.Contains("[N, C]", e3.Message)
