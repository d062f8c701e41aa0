module BayesDL.Tests.Objectives.ElboObjectiveTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

let private setup () =
    engineOneThread ()

/// A small float64 regression network with plain reparameterization: one weight draw per forward pass, which
/// depends only on the generator state, so re-seeding before each pass fixes the noise across batch sizes.
let private network () =
    NativeEngine.Seed 4L
    let o = BayesLayerOptions(Estimator = GradientEstimator.Reparameterization, InitialRho = -1.0)
    let m = BayesianNetwork.Create(Likelihood.Gaussian(GaussianNoise.Fixed, 0.7), BayesNN.BayesLinear(3L, 5L, o),
                                   torch.nn.Tanh(), BayesNN.BayesLinear(5L, 1L, o))
    cpu64.Apply m

let private data n =
    NativeEngine.Seed 5L
    let x = torch.randn(int64 n, 3L, dtype = torch.ScalarType.Float64)
    x, x.sum(1L, keepdim = true).sin() + 0.1 * torch.randn(int64 n, 1L, dtype = torch.ScalarType.Float64)

let private epochElbo (model: BayesianNetwork) (schedule: KLSchedule) (x: torch.Tensor) (y: torch.Tensor) n batch =
    let objective = ElboObjective(model, int64 n, ElboOptions(Schedule = schedule))
    let batches = (n + batch - 1) / batch
    [ for b in 0 .. batches - 1 ->
        let rows = torch.TensorIndex.Slice(int64 (b * batch), int64 (min n ((b + 1) * batch)))
        NativeEngine.Seed 99L
        let t = objective.Evaluate(x[rows], y[rows], BatchPosition(int64 b, b, batches))
        // The loss is the per-example negative ELBO of the batch.
        Assert.Equal(-scalar t.Elbo / float (t.Loss.shape |> ignore; x[rows].shape[0]), scalar t.Loss, 10)
        scalar t.Elbo ]
    |> List.sum

[<Fact>]
let ``minibatch ELBOs of an epoch sum to the full-batch ELBO (KL counted once, scaled by N)`` () =
    setup ()
    let model = network ()
    let n = 50
    let x, y = data n
    NativeEngine.Seed 99L
    let full = ElboObjective(model, int64 n).Evaluate(x, y)
    // Full batch: ELBO = sum log-lik - KL exactly (share 1).
    Assert.Equal(1.0, full.KLShare, 12)
    Assert.Equal(scalar full.ExpectedLogLikelihood - scalar full.KL, scalar full.Elbo, 9)
    // Uneven batches 16, 16, 16, 2 with the same (re-seeded) weight draw: the sums agree to rounding.
    Assert.Equal(scalar full.Elbo, epochElbo model (KLSchedule.Constant()) x y n 16, 8)
    Assert.Equal(scalar full.Elbo, epochElbo model (KLSchedule.Blundell()) x y n 16, 8)
    // Scaling the KL by the batch count instead of N would be caught: a KL of this size moves the sum visibly.
    Assert.True(scalar full.KL > 1.0)

[<Fact>]
let ``schedules: Blundell shares sum to one, warm-up ramps linearly, constant is B over N`` () =
    let m = 7
    let shares = [ for i in 0 .. m - 1 -> KLSchedule.Blundell().Share(BatchPosition(0L, i, m), 10L, 70L) ]
    Assert.Equal(1.0, List.sum shares, 12)
    Assert.Equal(64.0 / 127.0, shares[0], 12)
    let warm = KLSchedule.LinearWarmup(4L)
    Assert.Equal(0.25 * 10.0 / 70.0, warm.Share(BatchPosition(0L, 0, m), 10L, 70L), 12)
    Assert.Equal(10.0 / 70.0, warm.Share(BatchPosition(9L, 0, m), 10L, 70L), 12)
    Assert.Equal(0.5 * 10.0 / 70.0, KLSchedule.Constant(0.5).Share(BatchPosition(), 10L, 70L), 12)
    let e = Assert.Throws<ArgumentException>(fun () -> KLSchedule.Constant().Share(BatchPosition(), 128L, 100L) |> ignore)
    Assert.Contains("training-set size N", e.Message)

[<Fact>]
let ``several weight samples average the log-likelihood over independent draws`` () =
    setup ()
    let model = network ()
    let x, y = data 8
    NativeEngine.Seed 3L
    let one = [ for _ in 1 .. 400 -> scalar (ElboObjective(model, 8L).Evaluate(x, y).ExpectedLogLikelihood) ]
    let four = [ for _ in 1 .. 100 -> scalar (ElboObjective(model, 8L,
                                                            ElboOptions(WeightSamples = 4)).Evaluate(x, y).ExpectedLogLikelihood) ]
    let var (xs: float list) = MathNet.Numerics.Statistics.Statistics.Variance xs
    // Averaging 4 draws divides the variance by 4; both estimates have ~10% relative error, so 4x vs 1.6x is clear.
    Assert.True(var four < var one / 1.6, sprintf "variance with 4 samples %g vs 1 sample %g" (var four) (var one))
    // Same expectation: means within 5 SE of each other.
    let se = sqrt (var one / 400.0 + var four / 100.0)
    Assert.True(abs (List.average one - List.average four) < 5.0 * se)
