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
