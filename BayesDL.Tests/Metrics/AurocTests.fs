module BayesDL.Tests.Metrics.AurocTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open BayesDL.Metrics
open BayesDL.Tests.TestSupport

[<Fact>]
let ``separating, reversed and tied scores give 1, 0 and one half`` () =
    Assert.Equal(1.0, Auroc.Compute([| 0.1; 0.2; 0.3 |], [| 0.5; 0.9 |]))
    Assert.Equal(0.0, Auroc.Compute([| 0.5; 0.9 |], [| 0.1; 0.2; 0.3 |]))
    Assert.Equal(0.5, Auroc.Compute([| 1.0; 1.0; 1.0 |], [| 1.0; 1.0 |]))
    // in {1, 2}, out {2, 3}: pairs (1,2) win, (1,3) win, (2,2) tie, (2,3) win -> 3.5 / 4.
    Assert.Equal(0.875, Auroc.Compute([| 1.0; 2.0 |], [| 2.0; 3.0 |]))

[<Fact>]
let ``tensor overload equals the array one and bad scores are refused`` () =
    engine ()
    use a = cpu64.Tensor([| 0.3; 0.1; 0.7 |], 3L)
    use b = cpu64.Tensor([| 0.2; 0.8 |], 2L)
    Assert.Equal(Auroc.Compute([| 0.3; 0.1; 0.7 |], [| 0.2; 0.8 |]), Auroc.Compute(a, b))
    let e = Assert.Throws<ArgumentException>(fun () -> Auroc.Compute([| 0.1; nan |], [| 1.0 |]) |> ignore)
    Assert.Contains("NaN at index [1]", e.Message)
    Assert.Throws<ArgumentException>(fun () -> Auroc.Compute([||], [| 1.0 |]) |> ignore) |> ignore

type Scores = Scores of float[] * float[]

type ScoreArb =
    static member Scores() =
        // Scores on a coarse grid so ties are common.
        let score = Gen.choose (0, 6) |> Gen.map float
        gen {
            let! a = Gen.choose (1, 12) |> Gen.bind (fun n -> Gen.arrayOfLength n score)
            let! b = Gen.choose (1, 12) |> Gen.bind (fun n -> Gen.arrayOfLength n score)
            return Scores(a, b)
        } |> Arb.fromGen

[<Property(MaxTest = 100, Replay = "(17,3)", Arbitrary = [| typeof<ScoreArb> |])>]
let ``equals the pairwise Mann-Whitney count with ties as one half`` (Scores(inD, outD)) =
    let pairs = [ for i in inD do for o in outD -> if o > i then 1.0 elif o = i then 0.5 else 0.0 ]
    abs (Auroc.Compute(inD, outD) - List.average pairs) < 1e-12 && abs (Auroc.Compute(outD, inD) - (1.0 - List.average pairs)) < 1e-12
