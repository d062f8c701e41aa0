// Bayes by Backprop on the toy regression of Hernandez-Lobato & Adams (2015): 20 points x ~ U[-4, 4],
// y = x^3 + e, e ~ N(0, 3^2). A Bayesian MLP (mean-field Gaussian weights, N(0, 1) prior) is fitted by
// maximising the ELBO; the predictive band (mean +- 2 sd from 200 weight draws) widens away from the data.
// Then HMC samples the posterior of the same declared network (Hmc.network), for the same comparison.
// Writes artifacts/scripts/bbb-regression-fsx.png.
#load "references.fsx"
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open TorchSharp

let policy = ComputePolicy.Cpu.Float64()
NativeEngine.Seed 2026L
let rng = System.Random 4
let xs = Array.init 20 (fun _ -> -4.0 + 8.0 * rng.NextDouble())
let normal () = sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * System.Math.PI * rng.NextDouble())
let ys = xs |> Array.map (fun x -> x ** 3.0 + 3.0 * normal ())
// Targets scaled to unit size so the N(0, 1) weight prior fits them; the noise sd scales alike.
let scale = 30.0
let data = new LabeledData(policy.Tensor(xs, 20L, 1L), policy.Tensor(ys |> Array.map (fun y -> y / scale), 20L, 1L))

let declaration =
    bayes {
        network (bayesLinear 1L 64L >> Activation.relu >> bayesLinear 64L 1L)
        prior (Normal(0., 1.))
        likelihood (gaussianWith (3.0 / scale))
        variational meanField
    }
let fitted =
    declaration
    |> Model.fitVariational (vi { elbo analyticKL; samples 4; epochs (if References.quick then 40 else 3000);
                                  batchSize 20; learningRate 0.01 }) policy data
    |> Result.defaultWith (fun e -> failwith e.Message)
let last = List.last fitted.Epochs
printfn "trained %d epochs: ELBO %.2f, KL %.1f nats" last.Epoch last.Elbo last.KL

let grid = Array.init 121 (fun i -> -6.0 + 0.1 * float i)
let predictive = fitted.Model.Predict(policy.Tensor(grid, 121L, 1L), (if References.quick then 20 else 200))
let mean = Tensors.toArray (predictive.Mean()) |> Array.map ((*) scale)
let sd = Tensors.toArray (predictive.TotalVariance().sqrt()) |> Array.map ((*) scale)
let report (name: string) (sd: float[]) =
    let sdAt x = sd[grid |> Array.findIndex (fun g -> abs (g - x) < 1e-9)]
    let inside = [ for i in 0 .. grid.Length - 1 do if abs grid[i] <= 4.0 then sd[i] ] |> List.average
    printfn "%s predictive sd: %.1f on [-4, 4] on average, %.1f at x = -6, %.1f at x = 6 (ratio %.1f)" name inside (sdAt -6.0) (sdAt 6.0)
        ((sdAt -6.0 + sdAt 6.0) / 2.0 / inside)
report "Bayes by Backprop" sd

// HMC on the same network's weight posterior (all 193 weights, the same prior and likelihood). Its leapfrog steps are
// small sequential products ([chains, 20, 64]): one thread, as waiting on a busy second core costs more than it saves.
torch.set_num_threads 1
let hmcSettings = mcmc { samples (if References.quick then 40 else 500); warmup (if References.quick then 40 else 500);
                         chains (if References.quick then 2 else 4); seed 7L }
let hmc = Hmc.network hmcSettings declaration data.Inputs data.Targets |> Result.defaultWith (fun e -> failwith e.Message)
printfn "HMC: %d draws, acceptance %.2f, %d divergences, %.1f s" (hmc.Result.ChainCount * hmc.Result.DrawsPerChain)
    hmc.Result.AcceptanceRate hmc.Result.Divergences hmc.Result.Elapsed.TotalSeconds
let hmcPredictive = hmc.Predict(policy.Tensor(grid, 121L, 1L))
let hmcMean = Tensors.toArray (hmcPredictive.Mean()) |> Array.map ((*) scale)
let hmcSd = Tensors.toArray (hmcPredictive.TotalVariance().sqrt()) |> Array.map ((*) scale)
report "HMC" hmcSd

let plot = new ScottPlot.Plot()
plot.Add.FillY(grid, Array.map2 (fun m s -> m - 2.0 * s) mean sd,
               Array.map2 (fun m s -> m + 2.0 * s) mean sd).LegendText <- "Bayes by Backprop mean +- 2 sd"
plot.Add.ScatterLine(grid, mean).LegendText <- "predictive mean"
for sign in [ -1.0; 1.0 ] do
    let band = plot.Add.ScatterLine(grid, Array.map2 (fun m s -> m + sign * 2.0 * s) hmcMean hmcSd)
    band.Color <- ScottPlot.Colors.Green
    if sign > 0.0 then band.LegendText <- "HMC mean +- 2 sd"
plot.Add.ScatterLine(grid, grid |> Array.map (fun x -> x ** 3.0)).LegendText <- "x^3"
plot.Add.ScatterPoints(xs, ys).LegendText <- "data"
plot.Title "Bayes by Backprop and HMC: y = x^3 + e"
plot.ShowLegend() |> ignore
let png = References.artifact "bbb-regression-fsx.png"
plot.SavePng(png, 800, 500) |> ignore
printfn "wrote %s" png
