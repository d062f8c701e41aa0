module BayesDL.Tests.Metrics.PairedBootstrapTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Metrics
open BayesDL.Tests.TestSupport

/// Two classifiers on the same 500 labelled inputs (4 classes): softmax of seeded random logits, B sharper than A.
let private pair () =
    NativeEngine.Seed 3L
    let labels = torch.randint(4L, [| 500L |])
    let logits = torch.randn(500L, 4L, dtype = torch.ScalarType.Float64) + 2.0 * torch.nn.functional.one_hot(labels, 4L)
    torch.softmax(logits, 1), torch.softmax(1.5 * logits, 1), labels

[<Fact>]
let ``on all inputs the values are the metrics' own, and identical predictives differ by exactly zero`` () =
    engine ()
    let a, b, y = pair ()
    let result = PairedBootstrap.Compare(a, b, y, resamples = 200, seed = 1)
    Assert.Equal<string[]>([| "accuracy"; "nll"; "brier"; "ece" |], result |> Seq.map (fun m -> m.Metric) |> Array.ofSeq)
    let own (p: torch.Tensor) =
        [| ClassificationMetrics.Accuracy(p, y); ClassificationMetrics.NegativeLogLikelihood(p, y)
           ClassificationMetrics.BrierScore(p, y); ReliabilityDiagram.Compute(p, y).ExpectedCalibrationError |]
    Array.iteri2 (fun i (m: MetricDifference) (ra, rb) ->
        Assert.Equal(ra, m.A, 12)
        Assert.Equal(rb, m.B, 12)
        Assert.Equal(ra - rb, m.Difference, 12)) (Array.ofSeq result) (Array.zip (own a) (own b))
    for m in PairedBootstrap.Compare(a, a, y, resamples = 50) do
        Assert.Equal(0.0, m.Difference)
        Assert.Equal(0.0, m.StandardError)
        Assert.Equal(0.0, m.FractionBelowZero)

[<Fact>]
let ``the standard error of a mean difference is the per-input differences' sd over sqrt N`` () =
    engine ()
    let a, b, y = pair ()
    let resamples = 2000
    let result = PairedBootstrap.Compare(a, b, y, resamples = resamples, seed = 7)
    // For a mean of N per-input differences d_i the bootstrap SE tends to sd(d) / sqrt N (population sd); an estimate from
    // B resamples has relative standard error about 1 / sqrt(2 (B - 1)) = 1.6%, so 4 of those bound it.
    let perInput (p: torch.Tensor) = -(p.gather(1L, y.unsqueeze 1L).squeeze(1L).log()) |> values
    let d = Array.map2 (-) (perInput a) (perInput b)
    let mean = Array.average d
    let expected = sqrt ((d |> Array.sumBy (fun v -> (v - mean) ** 2.0)) / float d.Length) / sqrt (float d.Length)
    let nll = result |> Seq.find (fun m -> m.Metric = "nll")
    let tolerance = 4.0 / sqrt (2.0 * float (resamples - 1))
    Assert.InRange(nll.StandardError / expected, 1.0 - tolerance, 1.0 + tolerance)
    // B, sharper on mostly right labels, has the lower NLL on nearly every resample.
    Assert.True(nll.Difference > 3.0 * nll.StandardError, sprintf "%A" nll)
    Assert.True(nll.FractionBelowZero < 0.01, sprintf "%A" nll)

[<Fact>]
let ``predictives of different shapes and too few resamples are refused by name`` () =
    engine ()
    let a, _, y = pair ()
    let e = Assert.Throws<ArgumentException>(fun () -> PairedBootstrap.Compare(a, a.narrow(1L, 0L, 3L), y) |> ignore)
    Assert.Contains("probabilitiesB", e.Message)
    Assert.Contains("[500, 3]", e.Message)
    let r = Assert.Throws<ArgumentException>(fun () -> PairedBootstrap.Compare(a, a, y, resamples = 1) |> ignore)
    Assert.Contains("resamples", r.Message)
    Assert.Contains(">= 2", r.Message)
