module BayesDL.Tests.Layers.MCDropoutTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

/// Same shape and exactly equal elements.
let private same (a: torch.Tensor) (b: torch.Tensor) = a.shape = b.shape && scalar ((a - b).abs().max()) = 0.0

[<Fact>]
let ``MC dropout keeps sampling in evaluation mode with the right rate and scale, and the off switch makes it the identity`` () =
    engine ()
    NativeEngine.Seed 11L
    let layer = BayesNN.MCDropout(0.3)
    layer.eval()
    use x = torch.ones(20000L, dtype = torch.ScalarType.Float64)
    use a = layer.forward x
    use b = layer.forward x
    // Inverted dropout: every output is 0 or 1 / (1 - p).
    let va = values a
    Assert.All(va, fun v -> Assert.True(v = 0.0 || abs (v - 1.0 / 0.7) < 1e-12, $"value {v}"))
    // Dropped fraction ~ Binomial(20000, 0.3)/20000: SE = sqrt(0.3 * 0.7 / 20000) = 0.00324; 5 SE = 0.0162.
    let dropped = (va |> Array.filter (fun v -> v = 0.0) |> Array.length |> float) / 20000.0
    Assert.InRange(dropped, 0.3 - 0.0162, 0.3 + 0.0162)
    Assert.False(same a b, "two evaluation-mode passes gave the same mask")
    layer.MonteCarlo <- false
    use c = layer.forward x
    Assert.True(same c x, "with MonteCarlo off, evaluation mode must be the identity")
    // Training mode still drops (ordinary dropout) when the MC switch is off.
    layer.train()
    use d = layer.forward x
    Assert.True((values d |> Array.exists (fun v -> v = 0.0)), "training mode must drop units")

[<Fact>]
let ``spatial MC dropout drops whole channels in evaluation mode`` () =
    engine ()
    NativeEngine.Seed 12L
    let layer = BayesNN.MCSpatialDropout(0.5)
    layer.eval()
    use x = torch.ones(8L, 16L, 5L, 5L)
    use y = layer.forward x
    // Each (example, channel) map is constant: all 0 or all 2.
    use perMapMin = y.amin([| 2L; 3L |])
    use perMapMax = y.amax([| 2L; 3L |])
    Assert.True(same perMapMin perMapMax, "a channel map was partly dropped")
    let maps = values perMapMin
    Assert.All(maps, fun v -> Assert.True(v = 0.0 || abs (v - 2.0) < 1e-6))
    Assert.Contains(0.0, maps)
    Assert.Contains(2.0, maps |> Array.map (fun v -> Math.Round(v, 6)))
    layer.MonteCarlo <- false
    use z = layer.forward x
    Assert.True(same z x)

[<Fact>]
let ``MonteCarloMode switches every MC layer of a model and counts them`` () =
    engine ()
    let d1 = BayesNN.MCDropout(0.5)
    let d2 = BayesNN.MCSpatialDropout(0.2)
    let model = torch.nn.Sequential([| torch.nn.Linear(3L, 3L) :> Module; d1 :> Module;
                                       torch.nn.Sequential([| d2 :> Module |]) :> Module |])
    Assert.Equal(2, MonteCarloMode.Set(model, false))
    Assert.False(d1.MonteCarlo); Assert.False(d2.MonteCarlo)
    Assert.Equal(2, MonteCarloMode.Set(model, true))
    Assert.True(d1.MonteCarlo && d2.MonteCarlo)
    Assert.Equal(0, MonteCarloMode.Set(torch.nn.Linear(2L, 2L), false))

[<Fact>]
let ``a dropout probability outside [0, 1) is rejected naming the parameter and value`` () =
    engine ()
    let e = Assert.Throws<ArgumentException>(fun () -> BayesNN.MCDropout(1.0) |> ignore)
    Assert.Contains("'p'", e.Message)
    Assert.Contains("found 1", e.Message)
    Assert.Throws<ArgumentException>(fun () -> BayesNN.MCSpatialDropout(-0.1) |> ignore) |> ignore
    let spatial = BayesNN.MCSpatialDropout(0.2)
    use flat = torch.ones(4L, 3L)
    let e2 = Assert.Throws<ArgumentException>(fun () -> spatial.forward flat |> ignore)
    Assert.Contains("rank >= 3", e2.Message)
