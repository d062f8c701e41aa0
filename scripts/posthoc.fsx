// A network already trained, made Bayesian after the fact. One MAP network 784-200-10 on the bundled MNIST subset (Adam 1e-3,
// batch 128, maximum likelihood: `ensemble { members 1 }`), then, without retraining it:
//   Laplace: last-layer KFAC around its weights, GLM predictive (probit), prior precision 1 (untuned) and tuned by maximising
//            the Laplace log evidence (Immer et al. 2021; Daxberger et al. 2021); the tuned one also with the softmax
//            integrated by 100 Monte Carlo draws of f instead of the probit approximation;
//   SWAG:    SGD from its weights with 4 snapshots per epoch, diagonal plus rank-20 covariance (Maddox et al. 2019).
// Prints accuracy, NLL, ECE and the seconds of each post-hoc fit against MAP's training time (quick mode, BAYESDL_QUICK=1:
// 300 training and 100 test digits; figures then mean little).
#load "references.fsx"
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Metrics
open BayesDL.Networks
open TorchSharp

let quick = References.quick
let policy = ComputePolicy.Cpu
let train = Mnist.LoadSubset("train").Take(if quick then 300L else 8000L)
let test = Mnist.LoadSubset("test").Take(if quick then 100L else 2000L)
let declaration = model { network (linear 784L 200L >> Activation.relu >> linear 200L 10L); likelihood categorical }
let passes = if quick then 3 else 5
let orFail result = result |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)
let clock = System.Diagnostics.Stopwatch.StartNew()
let seconds () = let s = clock.Elapsed.TotalSeconds in clock.Restart(); s

let map =
    declaration |> Ensemble.fit (ensemble { members 1; epochs passes; batchSize 128; learningRate 1e-3; seed 1L }) policy train |> orFail
let mapSeconds = seconds ()

let untuned = map |> Laplace.fitMember (laplace { subset lastLayer; hessian kfac; predictive glm; priorPrecision 1.0 }) train 0 |> orFail
let untunedSeconds = seconds ()
let tuned = map |> Laplace.fitMember (laplace { subset lastLayer; hessian kfac; predictive glm; tunePrior }) train 0 |> orFail
let tunedSeconds = seconds ()
let monteCarlo =
    map |> Laplace.fitMember (laplace { subset lastLayer; hessian kfac; predictive glm; monteCarloLink; tunePrior }) train 0 |> orFail
let monteCarloSeconds = seconds ()

let net = map.Ensemble.Members[0]
let theta = FunctionalNetwork.From(net, [| 784L |], PriorSpec.Normal(0.0, 1.0)).Pack(net)
let swagSettings =
    swag { rank (if quick then 2 else 20); epochs (if quick then 2 else passes); burnIn 0; snapshotsPerEpoch 4; learningRate 0.01; seed 1L }
let swagPosterior = declaration |> Swag.fit swagSettings policy train (Some theta) |> orFail
let swagSeconds = seconds ()

printfn "%-44s %9s %8s %8s %9s" "method" "accuracy" "NLL" "ECE" "seconds"
let row name seconds (p: BayesDL.Predictive.PredictiveSamples) =
    let s = PredictiveScores.Compute(p, test.Targets)
    printfn "%-44s %9.4f %8.4f %8.4f %9.1f" name s.Accuracy s.NegativeLogLikelihood s.ExpectedCalibrationError seconds
row "MAP (training)" mapSeconds (map.Predict test.Inputs)
row "Laplace, last layer KFAC, delta = 1" untunedSeconds (untuned.Predict test.Inputs)
row (sprintf "Laplace, last layer KFAC, tuned delta = %.3g" tuned.PriorPrecision[0]) tunedSeconds (tuned.Predict test.Inputs)
row "  the same, Monte Carlo link (100 draws of f)" monteCarloSeconds (monteCarlo.Predict test.Inputs)
row (sprintf "SWAG (rank %d, 30 draws)" swagSettings.Rank) swagSeconds (swagPosterior.Predict(test.Inputs, 30))
printfn "log evidence: %.1f untuned, %.1f tuned" untuned.LogEvidence tuned.LogEvidence
