module BayesDL.Tests.Metrics.ReliabilityDiagramTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Metrics
open BayesDL.Tests.TestSupport

[<Fact>]
let ``hand-computed bins and ECE`` () =
    engine ()
    // Top confidences 0.9, 0.9, 0.6, 0.55 with correctness 1, 0, 1, 1; 15 bins of width 1/15.
    use p = cpu64.Tensor([| 0.9; 0.1;  0.1; 0.9;  0.6; 0.4;  0.45; 0.55 |], 4L, 2L)
    use y = torch.tensor([| 0L; 0L; 0L; 1L |])
    let d = ReliabilityDiagram.Compute(p, y)
    Assert.Equal(15, d.Bins)
    // 0.9 lies in (13/15, 14/15] = bin 13; 0.6 and 0.55 lie in (8/15, 9/15] = bin 8.
    Assert.Equal(2L, d.Count[13]); Assert.Equal(2L, d.Count[8]); Assert.Equal(4L, Array.sum d.Count)
    Assert.Equal(0.9, d.Confidence[13], 12); Assert.Equal(0.5, d.Accuracy[13], 12)
    Assert.Equal(0.575, d.Confidence[8], 12); Assert.Equal(1.0, d.Accuracy[8], 12)
    Assert.True(Double.IsNaN d.Confidence[0])
    Assert.Equal(0.5 * 0.4 + 0.5 * 0.425, d.ExpectedCalibrationError, 12)

let private synthetic seed n (accuracyOf: float -> float) =
    // Binary predictions with top confidence c ~ U[0.5, 1]; the prediction is correct with probability accuracyOf c.
    let rng = Random(seed)
    let conf = Array.init n (fun _ -> 0.5 + 0.5 * rng.NextDouble())
    let correct = conf |> Array.map (fun c -> rng.NextDouble() < accuracyOf c)
    let probs = conf |> Array.collect (fun c -> [| c; 1.0 - c |])
    let labels = correct |> Array.map (fun ok -> if ok then 0L else 1L)
    conf, cpu64.Tensor(probs, int64 n, 2L), torch.tensor(labels)

[<Fact>]
let ``perfectly calibrated data has ECE zero within 5 standard errors`` () =
    engine ()
    let n = 50000
    let conf, p, y = synthetic 11 n id
    let d = ReliabilityDiagram.Compute(p, y)
    // Under calibration acc_b - conf_b has mean 0 and SE sqrt(c(1-c)/n_b); E|gap| <= SE, so
    // ECE <= sum_b (n_b/N) * 5 SE_b with overwhelming probability.
    let tolerance =
        Seq.init d.Bins id |> Seq.filter (fun b -> d.Count[b] > 0L)
        |> Seq.sumBy (fun b -> let c = d.Confidence[b] in float d.Count[b] / float n * 5.0 * sqrt (c * (1.0 - c) / float d.Count[b]))
    Assert.InRange(d.ExpectedCalibrationError, 0.0, tolerance)
    // The bound is tight enough to reject the 0.2 gap of the overconfident case below.
    Assert.True(tolerance < 0.04)
    p.Dispose(); y.Dispose()

[<Fact>]
let ``overconfident data has ECE near the confidence-accuracy gap`` () =
    engine ()
    let n = 20000
    let conf, p, y = synthetic 12 n (fun c -> c - 0.2)
    let d = ReliabilityDiagram.Compute(p, y)
    // The true gap is 0.2 in every bin; sampling noise per bin has SE <= 0.5 / sqrt(n_b); 5 SE of the mean over N is < 0.02.
    Assert.InRange(d.ExpectedCalibrationError, 0.18, 0.22)
    p.Dispose(); y.Dispose()
