module BayesDL.Tests.Layers.ConcreteDropoutTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

[<Fact>]
let ``the regularizer matches its formula`` () =
    engine ()
    NativeEngine.Seed 41L
    let lin = torch.nn.Linear(5L, 3L)
    lin.``to``(torch.ScalarType.Float64) |> ignore
    let layer = BayesNN.ConcreteDropout(lin, ConcreteDropoutOptions(WeightRegularizer = 0.01, DropoutRegularizer = 0.1, InitialP = 0.2))
    let p = 0.2
    let w2 = values lin.weight |> Array.sumBy (fun v -> v * v)
    let b2 = values lin.bias |> Array.sumBy (fun v -> v * v)
    let expected = 0.01 * w2 / (1.0 - p) + 0.01 * b2 + 0.1 * 5.0 * (p * Math.Log p + (1.0 - p) * Math.Log(1.0 - p))
    Assert.Equal(p, layer.DropoutProbability, 12)
    Assert.Equal(expected, scalar (layer.Regularizer()), 12)
    Assert.Equal(expected, scalar (ConcreteDropoutRegularizer.Total(torch.nn.Sequential([| layer :> Module |]))), 12)
    let paper = ConcreteDropoutOptions.ForDataset(1000L, lengthScale = 0.1)
    Assert.Equal(0.01 / 2000.0, paper.WeightRegularizer, 15)
    Assert.Equal(0.001, paper.DropoutRegularizer, 15)

let private train (layer: ConcreteDropout) (loss: unit -> torch.Tensor) (steps: int) =
    let opt = torch.optim.Adam(layer.parameters(), 0.05)
    for _ in 1..steps do
        use scope = torch.NewDisposeScope()
        opt.zero_grad()
        let l = loss ()
        l.backward()
        opt.step() |> ignore

[<Fact>]
let ``learned p falls when the data needs every input and moves to one half under the entropy term alone`` () =
    engine ()
    NativeEngine.Seed 42L
    // Noise-free y = x·w: dropping inputs only adds error, so the data term drives p down from 0.3.
    let lin = torch.nn.Linear(8L, 1L)
    let fit = BayesNN.ConcreteDropout(lin, ConcreteDropoutOptions(WeightRegularizer = 0.0, DropoutRegularizer = 0.0, InitialP = 0.3))
    fit.train()
    use x = torch.randn(256L, 8L)
    use y = x.matmul(torch.linspace(-1.0, 1.0, 8L).unsqueeze(1L))
    train fit (fun () -> torch.nn.functional.mse_loss(fit.forward x, y)) 200
    Assert.True(fit.DropoutProbability < 0.1, $"p = {fit.DropoutProbability} did not fall from 0.3")
    // The entropy term -K·H(p) alone is minimized at p = 1/2: from both sides p moves towards it.
    for start in [ 0.1; 0.9 ] do
        let l = BayesNN.ConcreteDropout(torch.nn.Linear(8L, 1L),
                                        ConcreteDropoutOptions(WeightRegularizer = 0.0, DropoutRegularizer = 1.0, InitialP = start))
        train l (fun () -> l.Regularizer()) 200
        Assert.True(abs (l.DropoutProbability - 0.5) < abs (start - 0.5) / 4.0, $"p = {l.DropoutProbability} from {start}")
    // The weight term ‖W‖²/(1 - p) alone pulls p down.
    let w = BayesNN.ConcreteDropout(torch.nn.Linear(8L, 1L),
                                    ConcreteDropoutOptions(WeightRegularizer = 1.0, DropoutRegularizer = 0.0, InitialP = 0.5))
    w.Layer.parameters() |> Seq.iter (fun p -> p.requires_grad <- false)
    train w (fun () -> w.Regularizer()) 50
    Assert.True(w.DropoutProbability < 0.4, $"p = {w.DropoutProbability}")

[<Fact>]
let ``evaluation mode samples hard masks at the learned rate, training relaxes them, MC off is deterministic`` () =
    engine ()
    NativeEngine.Seed 43L
    let k = 4000L
    let identity = torch.nn.Linear(k, k, hasBias = false)
    (use _ = torch.no_grad()
     identity.weight.copy_(torch.eye(k)) |> ignore)
    let layer = BayesNN.ConcreteDropout(identity, ConcreteDropoutOptions(InitialP = 0.25))
    use x = torch.ones(1L, k)
    layer.eval()
    use y = layer.forward x
    let v = values y
    Assert.All(v, fun e -> Assert.True(e = 0.0 || abs (e - 1.0 / 0.75) < 1e-5))
    // Dropped fraction ~ Binomial(4000, 0.25)/4000: SE = sqrt(0.25·0.75/4000) = 0.00685; 5 SE = 0.034.
    let dropped = float (v |> Array.filter ((=) 0.0) |> Array.length) / float k
    Assert.InRange(dropped, 0.25 - 0.034, 0.25 + 0.034)
    layer.MonteCarlo <- false
    use z = layer.forward x
    Assert.True(scalar ((z - x).abs().max()) < 1e-6)
    layer.train()
    use r = layer.forward x
    // Relaxed masks: values strictly between the hard ones occur, and p gets a gradient.
    Assert.True(values r |> Array.exists (fun e -> e > 1e-3 && e < 1.0 / 0.75 - 1e-3))
    r.sum().backward()
    let g = layer.parameters() |> Seq.find (fun p -> p.numel() = 1L)
    Assert.True(not (isNull g.grad) && abs (scalar g.grad) > 0.0)

[<Fact>]
let ``only Linear and convolution layers can be wrapped`` () =
    engine ()
    let e = Assert.Throws<ArgumentException>(fun () -> BayesNN.ConcreteDropout(torch.nn.ReLU()) |> ignore)
    Assert.Contains("Linear or Conv", e.Message)
    let e2 = Assert.Throws<ArgumentException>(fun () -> BayesNN.ConcreteDropout(torch.nn.Linear(2L, 2L),
                                                                                ConcreteDropoutOptions(InitialP = 1.0)) |> ignore)
    Assert.Contains("InitialP", e2.Message)
