// Simulation-based calibration (Talts et al. 2018): does an inference method return the right posterior? For n = 1..N draw
// theta~ from the prior and a data set y~ from the model, run the method on y~ for L draws and record the rank of theta~ among
// them; a correct method makes the ranks uniform. Two methods on Bayesian linear regression (sigma = 0.5, prior N(0, 1)):
//   NUTS on intercept and slope (20 inputs in [-1, 1]): a correct sampler, it passes;
//   the exact mean-field Gaussian of a strongly correlated posterior (two nearly collinear inputs): its marginal sds are
//   1 / sqrt(Lambda_ii), far below the true sqrt(Sigma_ii) (Bishop 2006, sec. 10.1.2), so theta~ falls outside the draws
//   and the outer bins fill: flagged.
// Prints the uniformity p-value per parameter (Pearson's chi-square over the bins) and writes one rank-histogram PNG per method,
// artifacts/scripts/sbc-nuts-fsx.png and sbc-meanfield-fsx.png (dashed lines: the band a bin stays in with probability 99%).
// SGLD joins the same way through `Sbc.sgmcmc` (see docs/sbc.md).
#load "references.fsx"
open BayesDL.Calibration
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Mcmc
open BayesDL.Plotting
open TorchSharp

let quick = References.quick
torch.set_num_threads 1
let policy = ComputePolicy.Cpu.Float64()
let orFail result = result |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)
let report (result: SbcResult) file =
    printfn "%O" result
    printfn "  adjusted p = %.4f: %s at the 1%% level" result.AdjustedPValue (if result.AdjustedPValue < 0.01 then "flagged" else "passes")
    printfn "  wrote %s" (RankHistogramPlot.Save(result, References.artifact file))

// NUTS: one chain per replication, L draws thinned by 2 (quick: N = 20, L = 9, 5 bins; full: N = 200, L = 19, 10 bins).
let xs = Array.init 20 (fun i -> -1.0 + 2.0 * float i / 19.0)
let line = policy.Tensor(xs |> Array.collect (fun v -> [| 1.0; v |]), 20L, 2L)
let nutsSampler = Sbc.sampler (nuts { warmup 60; chains 1 }) (fun y -> LogDensity.BayesianLinearRegression(line, y, 0.5, 1.0))
let nutsRun =
    if quick then sbc { replications 20; draws 9; thinning 2; bins 5; seed 1L }
    else sbc { replications 200; draws 19; thinning 2; bins 10; seed 1L }
report (Sbc.run nutsRun (Sbc.linearRegression 0.5 1.0 line) nutsSampler |> orFail) "sbc-nuts-fsx.png"

// Mean-field: two nearly collinear inputs, posterior correlation about -0.99; exact Gaussians are cheap, so N = 100 (full: 1,000).
let rng = System.Random 5
let u = Array.init 30 (fun _ -> 2.0 * rng.NextDouble() - 1.0)
let collinear = policy.Tensor(u |> Array.collect (fun v -> [| v; v + 0.1 * (2.0 * rng.NextDouble() - 1.0) |]), 30L, 2L)
let meanField =
    Sbc.gaussian "mean-field VI" (fun y ->
        use exact = ConjugateLinearRegression.Posterior(collinear, y, 0.5, 1.0)
        new GaussianPosterior(exact.Mean.clone(), torch.diag(1.0 / torch.linalg.inv(exact.Covariance).diagonal())))
let meanFieldRun = sbc { replications (if quick then 100 else 1000); draws 19; bins 10; seed 3L }
report (Sbc.run meanFieldRun (Sbc.linearRegression 0.5 1.0 collinear) meanField |> orFail) "sbc-meanfield-fsx.png"
