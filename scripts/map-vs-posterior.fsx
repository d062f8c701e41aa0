// MAP versus posterior on the cubic toy of Hernandez-Lobato & Adams (2015): 20 points x ~ U[-4, 4], y = x^3 + e,
// e ~ N(0, 3^2). One network, 1 -> 50 ReLU -> 1 with an N(0, 1) prior on every weight (targets scaled by 30, so the noise
// sd is 0.1), fitted six ways:
//   MAP:     the posterior mode (Adam on log prior + log likelihood: weight decay = the Gaussian prior), one network;
//   Laplace: a Gaussian around the MAP weights, precision = GGN / sigma^2 + prior precision, linearised (GLM) predictive;
//   VI:      Bayes by Backprop, a mean-field Gaussian over the weights fitted by maximising the ELBO;
//   SWAG:    the moments of the SGD iterates from the MAP weights (diagonal plus low rank);
//   SGHMC:   stochastic-gradient HMC from the MAP weights, minibatches of 5 points, draws kept after a burn-in;
//   NUTS:    draws from the weight posterior itself (the same log density as MAP).
// Each method is one line of `methods`: a name and a fit returning a predictor.
// Prints a table (test NLL on 500 fresh points, predictive sd inside the data and at |x| = 6, wall time) and writes
// artifacts/scripts/map-vs-posterior-fsx.png, one panel per method.
#load "references.fsx"
open System.Diagnostics
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Metrics
open BayesDL.Networks
open BayesDL.Plotting
open BayesDL.Posthoc
open BayesDL.Predictive
open TorchSharp

let policy = ComputePolicy.Cpu.Float64()
torch.set_num_threads 1 // small sequential products: one thread beats waiting on a busy second core
NativeEngine.Seed 2026L
let rng = System.Random 4
let normal () = sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * System.Math.PI * rng.NextDouble())
let draw n = let xs = Array.init n (fun _ -> -4.0 + 8.0 * rng.NextDouble()) in xs, xs |> Array.map (fun x -> x ** 3.0 + 3.0 * normal ())
let xs, ys = draw 20
let testX, testY = draw 500
let scale = 30.0 // targets / 30: unit size, so the N(0, 1) weight prior fits them
let column (v: float[]) = policy.Tensor(v, int64 v.Length, 1L)
let data = new LabeledData(column xs, column (ys |> Array.map (fun y -> y / scale)))
let quick = References.quick
let hidden = 50L
// One declaration for every method: its weights, prior and likelihood (VI also reads its variational family).
let network =
    bayes {
        network (bayesLinear 1L hidden >> Activation.relu >> bayesLinear hidden 1L)
        prior (Normal(0., 1.))
        likelihood (gaussianWith (3.0 / scale))
        variational meanField
    }

// The same network of ordinary dense layers with the same prior and noise: what Laplace, SWAG and SGHMC work on. Its weights
// are ordered as the flat vector MAP and NUTS use (per layer W [out, in], then b [out]), so they all start from the MAP weights.
let deterministic =
    model {
        network (linear 1L hidden >> Activation.relu >> linear hidden 1L)
        prior (Normal(0., 1.))
        likelihood (gaussianWith (3.0 / scale))
    }
let orFail result = result |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)
let target = (Model.toBuilder network).LogDensity(data.Inputs, data.Targets)

/// MAP: maximise log p(theta) + log p(y | theta) over the flat weights with Adam (the same target NUTS samples); computed once,
/// Laplace, SWAG and SGHMC start from it (their times below are their own part after it).
let mapMode =
    lazy
        let theta = torch.nn.Parameter(torch.randn(1L, int64 target.Dimension, dtype = torch.ScalarType.Float64) * 0.3)
        let adam = torch.optim.Adam([ theta ], 0.01)
        for _ in 1 .. (if quick then 300 else 5000) do
            use scope = torch.NewDisposeScope()
            adam.zero_grad()
            let loss = -(target.Target.Evaluate theta).sum()
            loss.backward()
            adam.step() |> ignore
        theta.detach().clone()

let fitMap () : torch.Tensor -> PredictiveSamples =
    let mode = mapMode.Force()
    fun x -> target.Predict(mode, x)

/// Laplace over all 151 weights around the MAP: the full GGN, the model's prior precision 1 (N(0, 1)) and noise, GLM predictive
/// (closed form: f* and J Sigma J^T + sigma^2).
let fitLaplace () : torch.Tensor -> PredictiveSamples =
    let mode = mapMode.Force().squeeze 0
    let builder = Model.toBuilder deterministic
    let net = builder.BuildNetwork policy
    let functional = FunctionalNetwork.From(net, [| 1L |], builder.Prior)
    (use _ = torch.no_grad ()
     let mutable offset = 0L
     for p in net.parameters () do
         p.copy_(mode.narrow(0L, offset, p.numel()).view(p.shape)) |> ignore
         offset <- offset + p.numel ())
    if (functional.Pack(net) - mode).abs().max().item<float>() <> 0.0 then failwith "the MAP weights did not land in the network's order"
    let settings = laplace { subset allWeights; hessian fullGgn; predictive glm; priorPrecision 1.0 }
    let posterior = LaplacePosterior.Fit(net, Likelihood.FromSpec builder.Likelihood, data, settings.ToOptions())
    printfn "Laplace: log evidence %.1f" posterior.LogEvidence
    fun x -> posterior.Predict x

/// SWAG from the MAP weights: SGD with momentum on minibatches of 5, 4 snapshots per epoch, rank 20 (quick: 5). The rate is
/// touchy here: at 3e-4 the iterates hardly leave the mode, at 5e-4 they jump out of it (test NLL 3.65); 4e-4 sits between.
let fitSwag () : torch.Tensor -> PredictiveSamples =
    let settings =
        swag { rank (if quick then 5 else 20); epochs (if quick then 10 else 500); burnIn (if quick then 1 else 50); batchSize 5
               snapshotsPerEpoch 4; learningRate 4e-4; seed 3L }
    let posterior = deterministic |> Swag.fit settings policy data (Some(mapMode.Force().squeeze 0)) |> orFail
    fun x -> posterior.Predict(x, (if quick then 20 else 200))

/// SGHMC from the MAP weights: minibatches of 5 (gradients scaled to the 20 points), friction 0.1, 4 chains (quick: 1).
let fitSghmc () : torch.Tensor -> PredictiveSamples =
    let settings =
        sgmcmc { sampler sghmc; chains (if quick then 1 else 4); epochs (if quick then 60 else 3000); burnIn (if quick then 20 else 500)
                 batchSize 5; stepSize 1e-5; friction 0.1; thinning (if quick then 4 else 40); seed 3L }
    let posterior = deterministic |> Sgmcmc.sample settings policy data (Some(mapMode.Force().squeeze 0)) |> orFail
    fun x -> posterior.Predict(x, min 200 (posterior.Store.ChainCount * posterior.Store.DrawsPerChain))

/// VI: Bayes by Backprop on the same architecture (mean-field Gaussian weights, the same prior and noise).
let fitVI () : torch.Tensor -> PredictiveSamples =
    let settings = vi { elbo analyticKL; samples 4; epochs (if quick then 40 else 3000); batchSize 20; learningRate 0.01 }
    let fitted = network |> Model.fitVariational settings policy data |> Result.defaultWith (fun e -> failwith e.Message)
    fun x -> fitted.Model.Predict(x, (if quick then 20 else 200))

/// NUTS over all weights of the same network: 2 chains of 200 warm-up and 200 kept iterations, trees of at most 2^7 steps
/// (the quick run: 1 chain, 15 + 10 iterations, 2^4 steps).
let fitNuts () : torch.Tensor -> PredictiveSamples =
    let settings =
        if quick then nuts { samples 10; warmup 15; chains 1; maxTreeDepth 4; seed 7L }
        else nuts { samples 200; warmup 200; chains 2; maxTreeDepth 7; seed 7L }
    let posterior = Hmc.network settings network data.Inputs data.Targets |> Result.defaultWith (fun e -> failwith e.Message)
    printfn "NUTS: acceptance %.2f, %d divergences, %d gradient evaluations" posterior.Result.AcceptanceRate posterior.Result.Divergences
        posterior.Result.GradientEvaluations
    fun x -> posterior.Predict(x, min 200 (posterior.Result.ChainCount * posterior.Result.DrawsPerChain))

let methods =
    [ "MAP", fitMap
      "Laplace (GGN, GLM)", fitLaplace
      "VI (Bayes by Backprop)", fitVI
      "SWAG", fitSwag
      "SGHMC", fitSghmc
      "NUTS", fitNuts ]

let grid = Array.init 121 (fun i -> -6.0 + 0.1 * float i)
let sdAt (sd: float[]) x = sd[grid |> Array.findIndex (fun g -> abs (g - x) < 1e-9)]
printfn "%-24s %10s %14s %12s %12s %10s" "method" "test NLL" "sd in [-4, 4]" "sd at x=-6" "sd at x=6" "seconds"
let panels =
    [ for name, fit in methods ->
        let watch = Stopwatch.StartNew()
        let predict = fit ()
        let seconds = watch.Elapsed.TotalSeconds
        use predictive = predict (column grid)
        let mean = Tensors.toArray (predictive.Mean()) |> Array.map ((*) scale)
        let sd = Tensors.toArray (predictive.TotalVariance().sqrt()) |> Array.map ((*) scale)
        use test = predict (column testX)
        // Test log-likelihood on the scaled targets, moved to the original units: log p(y) = log p(y / 30) - log 30.
        let nll = -((RegressionScores.Compute(test, column (testY |> Array.map (fun y -> y / scale)))).TestLogLikelihood - log scale)
        let inside = [ for i in 0 .. grid.Length - 1 do if abs grid[i] <= 4.0 then sd[i] ] |> List.average
        printfn "%-24s %10.3f %14.2f %12.2f %12.2f %10.1f" name nll inside (sdAt sd -6.0) (sdAt sd 6.0) seconds
        PredictiveBandsPlot.Panel(sprintf "%s: NLL %.2f, %.1f s" name nll seconds, grid, mean, sd) ]
let png = PredictiveBandsPlot.Save(panels, xs, ys, References.artifact "map-vs-posterior-fsx.png", grid |> Array.map (fun x -> x ** 3.0))
printfn "wrote %s" png
