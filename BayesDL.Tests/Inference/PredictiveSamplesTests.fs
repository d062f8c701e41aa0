module BayesDL.Tests.Inference.PredictiveSamplesTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

let private h (p: float[]) = -(p |> Array.sumBy (fun v -> if v = 0.0 then 0.0 else v * Math.Log v))

[<Fact>]
let ``two confident disagreeing samples: entropy log 2, mutual information log 2 minus the sample entropy`` () =
    engine ()
    use s = PredictiveSamples.Classification(cpu64.Tensor([| 0.9; 0.1; 0.1; 0.9 |], 2L, 1L, 2L))
    Assert.Equal<float[]>([| 0.5; 0.5 |], values (s.Mean()))
    Assert.Equal(Math.Log 2.0, scalar (s.PredictiveEntropy()), 12)
    Assert.Equal(h [| 0.9; 0.1 |], scalar (s.ExpectedEntropy()), 12)
    Assert.Equal(Math.Log 2.0 - h [| 0.9; 0.1 |], scalar (s.MutualInformation()), 12)

[<Fact>]
let ``identical samples have zero mutual information and one-hot samples zero entropy`` () =
    engine ()
    use same = PredictiveSamples.Classification(cpu64.Tensor([| 0.2; 0.3; 0.5; 0.2; 0.3; 0.5; 0.2; 0.3; 0.5 |], 3L, 1L, 3L))
    Assert.Equal(0.0, scalar (same.MutualInformation()), 12)
    Assert.Equal(h [| 0.2; 0.3; 0.5 |], scalar (same.PredictiveEntropy()), 12)
    use onehot = PredictiveSamples.Classification(cpu64.Tensor([| 1.0; 0.0; 0.0; 1.0 |], 2L, 1L, 2L))
    Assert.Equal(0.0, scalar (onehot.ExpectedEntropy()), 12)
    Assert.Equal(Math.Log 2.0, scalar (onehot.MutualInformation()), 12)

/// Random probability tables [T, N, C] from positive weights (normalised), T, N, C in small ranges.
type ProbabilityTable = ProbabilityTable of t: int * n: int * c: int * weights: float[]

type Tables =
    static member Table() =
        gen {
            let! t = Gen.choose (1, 6)
            let! n = Gen.choose (1, 4)
            let! c = Gen.choose (2, 5)
            let! w = Gen.arrayOfLength (t * n * c) (Gen.choose (0, 1000) |> Gen.map float)
            return ProbabilityTable(t, n, c, w |> Array.map (fun v -> v + 1e-3))
        } |> Arb.fromGen

[<Property(MaxTest = 60, Replay = "(42,7)", Arbitrary = [| typeof<Tables> |])>]
let ``0 <= MI <= predictive entropy <= log C and the parts add up`` (ProbabilityTable(t, n, c, w)) =
    engine ()
    use raw = cpu64.Tensor(w, int64 t, int64 n, int64 c)
    use s = PredictiveSamples.Classification(raw / raw.sum(-1L, keepdim = true))
    let total, aleatoric, mi = values (s.PredictiveEntropy()), values (s.ExpectedEntropy()), values (s.MutualInformation())
    Array.zip3 total aleatoric mi
    |> Array.forall (fun (tot, ale, m) -> m >= 0.0 && m <= tot + 1e-12 && tot <= Math.Log(float c) + 1e-12 && abs (tot - ale - m) < 1e-12)

[<Fact>]
let ``regression variances follow the law of total variance (MathNet population variance)`` () =
    engine ()
    let means = [| 1.0; 2.0; 4.0; 7.0 |]
    let vars = [| 0.5; 1.0; 1.5; 3.0 |]
    use s = PredictiveSamples.Regression(cpu64.Tensor(means, 4L, 1L, 1L), cpu64.Tensor(vars, 4L, 1L, 1L))
    let epistemic = MathNet.Numerics.Statistics.Statistics.PopulationVariance means
    Assert.Equal(epistemic, scalar (s.EpistemicVariance()), 12)
    Assert.Equal(Array.average vars, scalar (s.AleatoricVariance()), 12)
    Assert.Equal(epistemic + Array.average vars, scalar (s.TotalVariance()), 12)
    Assert.Equal(Array.average means, scalar (s.Mean()), 12)
    use noNoise = PredictiveSamples.Regression(cpu64.Tensor(means, 4L, 1L, 1L))
    Assert.Equal(0.0, scalar (noNoise.AleatoricVariance()), 12)

[<Fact>]
let ``bad inputs name the parameter and the fix; wrong kind is refused`` () =
    engine ()
    let e = Assert.Throws<ArgumentException>(fun () -> PredictiveSamples.Classification(cpu64.Tensor([| 0.5; 0.6 |], 1L, 1L, 2L)) |> ignore)
    Assert.Contains("'probabilities'", e.Message)
    Assert.Contains("sum to 1", e.Message)
    let e2 = Assert.Throws<ArgumentException>(fun () -> PredictiveSamples.Regression(cpu64.Tensor([| 0.5; 0.6 |], 2L, 1L)) |> ignore)
    Assert.Contains("[T, N, D]", e2.Message)
    let e3 = Assert.Throws<ArgumentException>(fun () ->
        PredictiveSamples.Regression(cpu64.Tensor([| 0.5; 0.6 |], 2L, 1L, 1L), cpu64.Tensor([| 1.0; -1.0 |], 2L, 1L, 1L)) |> ignore)
    Assert.Contains("-1 at index [1, 0, 0]", e3.Message)
    use r = PredictiveSamples.Regression(cpu64.Tensor([| 0.5; 0.6 |], 2L, 1L, 1L))
    Assert.Throws<InvalidOperationException>(fun () -> r.MutualInformation() |> ignore) |> ignore

[<Fact>]
let ``from logits applies softmax over classes`` () =
    engine ()
    use logits = cpu64.Tensor([| 0.0; Math.Log 3.0 |], 1L, 1L, 2L)
    use s = PredictiveSamples.FromLogits logits
    Assert.Equal<float[]>([| 0.25; 0.75 |], values s.Samples |> Array.map (fun v -> Math.Round(v, 12)))
    Assert.Equal(1.0, scalar (s.PredictedClass()))
