module BayesDL.Tests.Mcmc.McmcDiagnosticsTests

open System
open Xunit
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

/// Standard normal draws from a seeded MathNet generator.
let private normals (seed: int) (n: int) =
    let rng = MathNet.Numerics.Random.MersenneTwister(seed)
    MathNet.Numerics.Distributions.Normal.Samples(rng, 0.0, 1.0) |> Seq.take n |> Array.ofSeq

/// A stationary AR(1) chain x_t = rho x_{t-1} + e_t, e ~ N(0, 1), started from N(0, 1 / (1 - rho^2)).
let private ar1 (seed: int) (rho: float) (n: int) =
    let e = normals seed n
    let x = Array.zeroCreate n
    x[0] <- e[0] / sqrt (1.0 - rho * rho)
    for t in 1 .. n - 1 do x[t] <- rho * x[t - 1] + e[t]
    x

// Tolerance of an ESS estimate. ESS = S / tau; the truncated autocorrelation sum tau_hat with window M has
// Var(tau_hat) ~ 2 (2M + 1) tau^2 / S (Sokal 1997, eq. 3.19; Priestley 1981). Geyer's truncation stops where
// rho_t falls into its noise, M ~ tau log(S) / 2 for an AR(1); so the relative SE of ESS is about sqrt(2 (2M + 1) / S),
// and each test allows 4 such SEs.
let private essTolerance (tau: float) (s: int) =
    let m = ceil (tau * log (float s) / 2.0) + 2.0
    4.0 * sqrt (2.0 * (2.0 * m + 1.0) / float s)

[<Fact>]
let ``ESS of independent draws is about the number of draws`` () =
    engine ()
    let chains = [| for j in 0 .. 3 -> normals (100 + j) 2500 |]
    let ess = McmcDiagnostics.EffectiveSampleSize chains
    let tol = essTolerance 1.0 10000
    Assert.True(abs (ess / 10000.0 - 1.0) < tol, sprintf "ESS %f of 10000 iid draws (relative tolerance %f)" ess tol)

[<Theory>]
[<InlineData(0.5)>]
[<InlineData(0.9)>]
let ``ESS of an AR(1) series is n (1 - rho) / (1 + rho)`` (rho: float) =
    engine ()
    let n = 25000
    let chains = [| for j in 0 .. 3 -> ar1 (200 + j) rho n |]
    let expected = 4.0 * float n * (1.0 - rho) / (1.0 + rho)
    let ess = McmcDiagnostics.EffectiveSampleSize chains
    let bulk = McmcDiagnostics.BulkEffectiveSampleSize chains
    let tol = essTolerance ((1.0 + rho) / (1.0 - rho)) (4 * n)
    Assert.True(abs (ess / expected - 1.0) < tol, sprintf "ESS %f, expected %f (relative tolerance %f)" ess expected tol)
    // Rank normalization is monotone, so for a Gaussian AR(1) the bulk ESS estimates the same quantity.
    Assert.True(abs (bulk / expected - 1.0) < tol, sprintf "bulk ESS %f, expected %f" bulk expected)

[<Fact>]
let ``R-hat is near 1 for chains from the same distribution`` () =
    engine ()
    let chains = [| for j in 0 .. 3 -> normals (300 + j) 1000 |]
    // With M = 8 split chains of 500 iid draws, R-hat - 1 ~ B / (2 W N) has sd about 1 / (N sqrt(2 (M - 1))) < 0.001.
    let rhat = McmcDiagnostics.SplitRHat chains
    Assert.InRange(rhat, 0.99, 1.01)
    Assert.InRange(McmcDiagnostics.ClassicSplitRHat chains, 0.99, 1.01)

[<Fact>]
let ``R-hat is far above 1.1 for chains stuck in different modes`` () =
    engine ()
    // Two chains in the mode at -3, two at +3 of a bimodal target: each chain alone looks converged.
    let chains = [| for j in 0 .. 3 -> normals (400 + j) 1000 |> Array.map (fun v -> v + (if j % 2 = 0 then -3.0 else 3.0)) |]
    let rhat = McmcDiagnostics.SplitRHat chains
    Assert.True(rhat > 1.1, sprintf "R-hat %f for separated chains" rhat)
    // Between-chain variance 9 against within 1: var+ / W ~ 10, R-hat ~ 3 (the classic formula, no ranks).
    Assert.InRange(McmcDiagnostics.ClassicSplitRHat chains, 2.5, 3.5)

[<Fact>]
let ``splitting catches a drifting chain and folding catches chains that differ only in scale`` () =
    engine ()
    let drift = [| for j in 0 .. 1 -> normals (500 + j) 1000 |> Array.mapi (fun i v -> v + 6.0 * float i / 1000.0) |]
    Assert.True(McmcDiagnostics.SplitRHat drift > 1.1, "a trend inside each chain must raise split-R-hat")
    let scales = [| for j in 0 .. 3 -> normals (600 + j) 1000 |> Array.map (fun v -> v * (if j < 2 then 1.0 else 4.0)) |]
    // Same location: the location-based classic R-hat stays near 1; the folded (tail) part of the rank R-hat does not.
    Assert.InRange(McmcDiagnostics.ClassicSplitRHat scales, 0.99, 1.02)
    Assert.True(McmcDiagnostics.SplitRHat scales > 1.1, sprintf "rank R-hat %f with scales 1 and 4" (McmcDiagnostics.SplitRHat scales))

[<Fact>]
let ``bad chains are refused with the chain and the draw named`` () =
    engine ()
    let e =
        Assert.Throws<ArgumentException>(fun () -> McmcDiagnostics.SplitRHat [| [| 1.0; 2.0; 3.0; 4.0 |]; [| 1.0; 2.0; 3.0 |] |] |> ignore)
    Assert.Contains("chain 1 with 3 draws", e.Message)
    let nan = Assert.Throws<ArgumentException>(fun () -> McmcDiagnostics.EffectiveSampleSize [| [| 1.0; nan; 3.0; 4.0 |] |] |> ignore)
    Assert.Contains("chain 0, draw 1", nan.Message)
    Assert.Throws<ArgumentException>(fun () -> McmcDiagnostics.EffectiveSampleSize [| [| 1.0; 2.0; 3.0 |] |] |> ignore) |> ignore
