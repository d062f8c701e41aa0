/// RegressionScores: the mixture test log-likelihood against a direct MathNet computation, the tails stay finite,
/// and scores of a standardised predictive are those of the original scale.
module BayesDL.Tests.Metrics.RegressionScoresTests

open System
open System.IO
open Xunit
open MathNet.Numerics.Distributions
open BayesDL.Data
open BayesDL.Metrics
open BayesDL.Predictive
open BayesDL.Tests.TestSupport

/// Means [T, N, D] and variances from a seed.
let private mixture (t: int) (n: int) (d: int) (seed: int) =
    let rng = Random seed
    let mu = Array.init (t * n * d) (fun _ -> rng.NextDouble() * 4.0 - 2.0)
    let var = Array.init (t * n * d) (fun _ -> 0.05 + rng.NextDouble())
    let y = Array.init (n * d) (fun _ -> rng.NextDouble() * 4.0 - 2.0)
    mu, var, y

[<Theory>]
[<InlineData(1, 1)>]
[<InlineData(5, 1)>]
[<InlineData(4, 2)>]
let ``the mixture log-likelihood equals log of the mean of the components' densities (MathNet), per point`` (t: int, d: int) =
    engine ()
    let n = 6
    let mu, var, y = mixture t n d (10 * t + d)
    let tensor (v: float[]) (shape: int64[]) = cpu64.Tensor(v, shape)
    let ours = values (RegressionScores.MixtureLogLikelihood(tensor mu [| int64 t; int64 n; int64 d |],
                                                             tensor var [| int64 t; int64 n; int64 d |], tensor y [| int64 n; int64 d |]))
    for i in 0 .. n - 1 do
        let density =
            [ for s in 0 .. t - 1 ->
                [ for j in 0 .. d - 1 ->
                    let k = (s * n + i) * d + j
                    Normal.PDF(mu[k], sqrt var[k], y[i * d + j]) ] |> List.fold (*) 1.0 ] |> List.average
        Assert.Equal(log density, ours[i], 12)

[<Fact>]
let ``a point far in the tails, where every density underflows to 0, keeps a finite log-likelihood`` () =
    engine ()
    let mu = cpu64.Tensor([| 0.0; 1.0 |], 2L, 1L, 1L)
    let var = cpu64.Tensor([| 1e-4; 1e-4 |], 2L, 1L, 1L)
    let y = cpu64.Tensor([| 40.0 |], 1L, 1L)
    Assert.Equal(0.0, Normal.PDF(1.0, 1e-2, 40.0))
    let ll = scalar (RegressionScores.MixtureLogLikelihood(mu, var, y))
    // Dominated by the nearer component: log(1/2) + log N(40; 1, 1e-4).
    Assert.Equal(log 0.5 + Normal.PDFLn(1.0, 1e-2, 40.0), ll, 6)

[<Fact>]
let ``scores of a split's standardised predictive are computed on the original scale`` () =
    engine ()
    use dir = new TempDir()
    File.WriteAllText(dir.File "d.csv", "x,y\n1,100\n2,130\n3,90\n4,160\n5,120\n6,75\n")
    File.WriteAllText(dir.File "d.splits.json", """{"rows": 6, "splits": [{"test": [1, 4]}]}""")
    let data = RegressionDataset.Load(dir.File "d.csv", dir.File "d.splits.json")
    use split = data.Split(0, cpu64)
    let m, s = split.Scaling.TargetMean, split.Scaling.TargetScale
    let t = 3
    let mu, var, _ = mixture t 2 1 7
    use predictive = PredictiveSamples.Regression(cpu64.Tensor(mu, int64 t, 2L, 1L), cpu64.Tensor(var, int64 t, 2L, 1L))
    let scores = RegressionScores.Compute(predictive, split)
    // By hand on the original scale: component means m + s mu, sds s sqrt(var), targets 130 and 120.
    let targets = [| 130.0; 120.0 |]
    let ll =
        [ for i in 0 .. 1 -> log ([ for k in 0 .. t - 1 -> Normal.PDF(m + s * mu[k * 2 + i],
                                                                      s * sqrt var[k * 2 + i], targets[i]) ] |> List.average) ]
        |> List.average
    let rmse =
        sqrt ([ for i in 0 .. 1 -> (m + s * ([ for k in 0 .. t - 1 -> mu[k * 2 + i] ] |> List.average) - targets[i]) ** 2.0 ]
              |> List.average)
    Assert.Equal(ll, scores.TestLogLikelihood, 10)
    Assert.Equal(rmse, scores.RootMeanSquaredError, 10)
    Assert.Equal(2L, scores.Count)
    Assert.Equal(int64 t, scores.Samples)
    // A predictive without noise variances has no full predictive: refused, naming the fix.
    use noNoise = PredictiveSamples.Regression(cpu64.Tensor(mu, int64 t, 2L, 1L))
    let e = Assert.Throws<ArgumentException>(fun () -> RegressionScores.Compute(noNoise, split) |> ignore)
    Assert.Contains("noise variances", e.Message)
