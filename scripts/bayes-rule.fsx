// Bayes' rule on a conjugate model: prior x likelihood -> posterior, and the evidence.
// Bayesian linear regression y = w0 + w1 x + e with a N(0, 1) prior on w: the exact posterior by
// Bayes' rule, and variational inference (maximise the ELBO) reaching the same answer.
#load "references.fsx"
open BayesDL.Dsl
open TorchSharp

Tensors.seed 2026L
let policy = (Tensors.defaultPolicy ()).Float64()
let n = if References.quick then 20 else 200
let xs = Array.init n (fun i -> -1.0 + 2.0 * float i / float (n - 1))
let rng = System.Random 7
let noise = 0.5
let ys = xs |> Array.map (fun x -> 1.5 - 2.0 * x + noise * (rng.NextDouble() - 0.5) * 3.4)
let design = Tensors.ofArray policy [ int64 n; 2L ] (xs |> Array.collect (fun x -> [| 1.0; x |]))
let y = Tensors.vector policy ys

let exact = LinearRegression.exactPosterior noise 1.0 design y
let q, elbo = LinearRegression.fitVariational noise 1.0 design y
printfn "exact posterior: mean %A std %A" exact.Mean exact.StdDev
printfn "variational q:   mean %A std %A" q.Mean q.StdDev
printfn "log evidence %.6f, ELBO %.6f" (LinearRegression.logEvidence noise 1.0 design y) elbo

// The slope's prior N(0, 1), its exact posterior and the variational q: the data sharpen the belief.
let density m s x = exp (-0.5 * ((x - m) / s) ** 2.0) / (s * sqrt (2.0 * System.Math.PI))
let grid = Array.init 401 (fun i -> -4.0 + 0.02 * float i)
let plot = new ScottPlot.Plot()
plot.Add.ScatterLine(grid, grid |> Array.map (density 0.0 1.0)).LegendText <- "prior N(0, 1)"
plot.Add.ScatterLine(grid, grid |> Array.map (density exact.Mean[1] exact.StdDev[1])).LegendText <- "exact posterior"
let every4 = grid |> Array.indexed |> Array.filter (fun (i, _) -> i % 4 = 0) |> Array.map snd
plot.Add.ScatterPoints(every4, every4 |> Array.map (density q.Mean[1] q.StdDev[1])).LegendText <- "variational q"
plot.Title(sprintf "Bayes' rule: the slope after %d points" n)
plot.XLabel "slope w1"
plot.ShowLegend() |> ignore
let png = References.artifact "bayes-rule-fsx.png"
plot.SavePng(png, 800, 500) |> ignore
printfn "wrote %s" png
