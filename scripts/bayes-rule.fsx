// Bayes' rule on a conjugate model: prior x likelihood -> posterior, and the evidence.
// Bayesian linear regression y = w0 + w1 x + e with a N(0, 1) prior on w: the exact posterior by
// Bayes' rule, variational inference (maximise the ELBO) reaching the same answer, and Hamiltonian Monte Carlo
// drawing from it without ever computing the evidence p(y).
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

// MCMC: the evidence is the intractable part of Bayes' rule; HMC only needs log prior + log likelihood and its gradient.
torch.set_num_threads 1 // a two-parameter model: one thread is fastest
let settings = mcmc { samples (if References.quick then 200 else 2000); warmup (if References.quick then 150 else 1000); chains 4; seed 1L }
let hmc, run =
    match Hmc.linearRegressionPosterior settings noise 1.0 design y with
    | Ok result -> result
    | Error e -> failwith e.Message
printfn ""
printfn "%-22s %-24s %-24s" "posterior of w" "w0: mean (sd)" "w1: mean (sd)"
let row name (m: float[]) (s: float[]) = printfn "%-22s %-24s %-24s" name (sprintf "%.4f (%.4f)" m[0] s[0])
                                             (sprintf "%.4f (%.4f)" m[1] s[1])
row "exact (Bayes' rule)" exact.Mean exact.StdDev
row "variational q" q.Mean q.StdDev
row "HMC" hmc.Mean hmc.StdDev
printfn "%-22s %-24s %-24s" "  HMC MCSE of mean" (sprintf "%.4f" run.Parameters[0].Mcse) (sprintf "%.4f" run.Parameters[1].Mcse)
printfn "HMC: %d chains x %d draws, acceptance %.2f, min ESS %.0f, max R-hat %.3f, %d divergences, %.1f s"
    settings.Chains settings.Samples run.AcceptanceRate (run.Parameters |> List.map (fun p -> p.Ess) |> List.min) run.MaxRHat
        run.Divergences run.Elapsed.TotalSeconds

// The slope's prior N(0, 1), its exact posterior and the variational q: the data sharpen the belief.
let density m s x = exp (-0.5 * ((x - m) / s) ** 2.0) / (s * sqrt (2.0 * System.Math.PI))
let grid = Array.init 401 (fun i -> -4.0 + 0.02 * float i)
let plot = new ScottPlot.Plot()
plot.Add.ScatterLine(grid, grid |> Array.map (density 0.0 1.0)).LegendText <- "prior N(0, 1)"
plot.Add.ScatterLine(grid, grid |> Array.map (density exact.Mean[1] exact.StdDev[1])).LegendText <- "exact posterior"
let every4 = grid |> Array.indexed |> Array.filter (fun (i, _) -> i % 4 = 0) |> Array.map snd
plot.Add.ScatterPoints(every4, every4 |> Array.map (density q.Mean[1] q.StdDev[1])).LegendText <- "variational q"
// HMC's draws of the slope as a normalised histogram.
let slopes = run.Draws |> Array.concat |> Array.map (fun w -> w[1])
let lo, hi = Array.min slopes, Array.max slopes
let bins = 30
let width = (hi - lo) / float bins
let counts = Array.zeroCreate<float> bins
for v in slopes do counts[min (bins - 1) (int ((v - lo) / width))] <- counts[min (bins - 1) (int ((v - lo) / width))] + 1.0
let centres = Array.init bins (fun i -> lo + (float i + 0.5) * width)
plot.Add.ScatterLine(centres, counts |> Array.map (fun c -> c / (float slopes.Length * width))).LegendText <- "HMC draws (histogram)"
plot.Title(sprintf "Bayes' rule: the slope after %d points" n)
plot.XLabel "slope w1"
plot.ShowLegend() |> ignore
let png = References.artifact "bayes-rule-fsx.png"
plot.SavePng(png, 800, 500) |> ignore
printfn "wrote %s" png
