module BayesDL.Tests.Objectives.VaeElboTests

open System
open Xunit
open TorchSharp
open BayesDL.Objectives
open BayesDL.Tests.TestSupport

// Two examples, two latent dimensions: reconstruction [-10, -20], KL parts [[0.1, 2.0], [0.3, 1.0]].
// Per-example KL = [2.1, 1.3] (mean 1.7); per-dimension batch mean = [0.2, 1.5]; -mean reconstruction = 15.
let private terms (options: VaeElboOptions) (step: int64) =
    engine ()
    let recon = cpu64.Tensor([| -10.0; -20.0 |], 2L)
    let kl = cpu64.Tensor([| 0.1; 2.0; 0.3; 1.0 |], 2L, 2L).requires_grad_(true)
    kl, VaeElbo.Compute(recon, kl, options, step)

[<Fact>]
let ``plain ELBO: loss = -mean reconstruction + mean KL and the bound is reconstruction - KL`` () =
    let _, t = terms (VaeElboOptions()) 0L
    Assert.Equal(16.7, scalar t.Loss, 12)
    Assert.Equal<float[]>([| -12.1; -21.3 |], values t.Elbo |> Array.map (fun v -> Math.Round(v, 12)))
    Assert.Equal<float[]>([| 2.1; 1.3 |], values t.KL |> Array.map (fun v -> Math.Round(v, 12)))
    Assert.Equal(1.0, t.KLWeight)

[<Fact>]
let ``beta-VAE multiplies only the KL term of the loss, never the reported bound`` () =
    let _, t = terms (VaeElboOptions(Beta = 4.0)) 0L
    Assert.Equal(15.0 + 4.0 * 1.7, scalar t.Loss, 12)
    Assert.Equal(-12.1, (values t.Elbo).[0], 12)

[<Fact>]
let ``warm-up ramps the KL weight linearly from 0 to beta over WarmupSteps then holds`` () =
    let o = VaeElboOptions(Beta = 2.0, WarmupSteps = 10L)
    Assert.Equal(0.0, o.KLWeight 0L)
    Assert.Equal(0.6, o.KLWeight 3L, 12)
    Assert.Equal(2.0, o.KLWeight 10L)
    Assert.Equal(2.0, o.KLWeight 1000L)
    let _, t = terms o 3L
    Assert.Equal(15.0 + 0.6 * 1.7, scalar t.Loss, 12)

[<Fact>]
let ``free bits floors each dimension's batch-mean KL and stops its gradient below the floor`` () =
    let kl, t = terms (VaeElboOptions(FreeBitsPerDimension = 0.5)) 0L
    // sum_j max(0.5, [0.2, 1.5]_j) = 0.5 + 1.5 = 2.0
    Assert.Equal(15.0 + 2.0, scalar t.Loss, 12)
    t.Loss.backward()
    // d loss / d kl[b, j] = 1/B for the dimension above the floor, 0 for the one held at the floor.
    Assert.Equal<float[]>([| 0.0; 0.5; 0.0; 0.5 |], values kl.grad)
    Assert.Equal(-12.1, (values t.Elbo).[0], 12)

[<Fact>]
let ``bad options and shapes are rejected with the parameter named`` () =
    let e = Assert.Throws<ArgumentException>(fun () -> VaeElboOptions(Beta = -1.0).Validate())
    Assert.Contains("Beta", e.Message); Assert.Contains("-1", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> VaeElboOptions(FreeBitsPerDimension = Double.NaN).Validate())
    Assert.Contains("FreeBitsPerDimension", e.Message)
    Assert.Throws<ArgumentException>(fun () -> VaeElboOptions(WarmupSteps = -5L).Validate()) |> ignore
    engine ()
    let e = Assert.Throws<ArgumentException>(fun () ->
        VaeElbo.Compute(cpu64.Tensor([| 1.0; 2.0 |], 2L), cpu64.Tensor([| 1.0; 2.0; 3.0 |], 3L, 1L)) |> ignore)
    Assert.Contains("klParts", e.Message); Assert.Contains("[3, 1]", e.Message)

[<Fact>]
let ``IWAE bound of log-weights is the log of their mean and never below their mean`` () =
    engine ()
    let lw = cpu64.Tensor([| -3.0; 0.0; -1.0; 2.0; -2.0; 1.0 |], 3L, 2L)
    let b = values (IwaeBound.FromLogWeights lw)
    Assert.Equal(log ((exp -3.0 + exp -1.0 + exp -2.0) / 3.0), b.[0], 12)
    Assert.Equal(log ((1.0 + exp 2.0 + exp 1.0) / 3.0), b.[1], 12)
    use m = lw.mean([| 0L |])
    Array.iter2 (fun bound mean -> Assert.True(bound >= mean)) b (values m)
