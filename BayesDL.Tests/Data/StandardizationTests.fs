/// The protocol's standardisation: statistics from the training rows only, population sd, constant columns kept finite.
module BayesDL.Tests.Data.StandardizationTests

open System
open Xunit
open BayesDL.Data

[<Fact>]
let ``means and sds come from the training rows only: changing a test row changes nothing`` () =
    let rng = Random 3
    let inputs = Array.init 40 (fun _ -> Array.init 3 (fun _ -> rng.NextDouble() * 10.0))
    let targets = Array.init 40 (fun _ -> rng.NextDouble())
    let train = [| 0 .. 2 .. 39 |]
    let a = Standardization.Fit(inputs, targets, train)
    // The same data with every test row (odd index) moved far away: a statistic that saw a test row would move.
    let leaked = inputs |> Array.mapi (fun i r -> if i % 2 = 1 then Array.map (fun v -> v * 1e3 + 7.0) r else r)
    let leakedTargets = targets |> Array.mapi (fun i v -> if i % 2 = 1 then v - 1e4 else v)
    let b = Standardization.Fit(leaked, leakedTargets, train)
    Assert.Equal<float seq>(a.InputMean, b.InputMean)
    Assert.Equal<float seq>(a.InputScale, b.InputScale)
    Assert.Equal(a.TargetMean, b.TargetMean)
    Assert.Equal(a.TargetScale, b.TargetScale)
    // And they are the training rows' own mean and population sd.
    let column c = train |> Array.map (fun i -> inputs[i][c])
    for c in 0 .. 2 do
        let xs = column c
        let m = Array.average xs
        Assert.Equal(m, a.InputMean[c], 12)
        Assert.Equal(sqrt (Array.averageBy (fun x -> (x - m) ** 2.0) xs), a.InputScale[c], 12)
    let ys = train |> Array.map (fun i -> targets[i])
    Assert.Equal(Array.average ys, a.TargetMean, 12)

[<Fact>]
let ``a column constant on the training rows keeps scale 1: standardised values are finite, 0 on the training rows`` () =
    let inputs = [| [| 5.0; 1.0 |]; [| 5.0; 2.0 |]; [| 5.0; 3.0 |]; [| 6.5; 4.0 |] |]
    let s = Standardization.Fit(inputs, [| 1.0; 1.0; 1.0; 9.0 |], [| 0; 1; 2 |])
    Assert.Equal(1.0, s.InputScale[0])
    Assert.Equal(0.0, s.Input(0, 5.0))
    Assert.Equal(1.5, s.Input(0, 6.5))
    Assert.Equal(1.0, s.TargetScale)
    Assert.Equal(8.0, s.Target 9.0)
    Assert.Equal(9.0, s.TargetToOriginal(s.Target 9.0))
