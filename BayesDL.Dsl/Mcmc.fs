/// MCMC settings as computation expressions, `mcmc { samples 1000; warmup 500; chains 4; leapfrogSteps 10 }` (static
/// HMC) and `nuts { maxTreeDepth 10 }` (No-U-Turn), in the shape of `vi { }` and `mcDropout { }`, and `Hmc.sample`
/// to run them on a target, with results as F# records; `Hmc.network` samples the weight posterior of a `model { }` network.
namespace BayesDL.Dsl

open System
open BayesDL.Builders
open BayesDL.Mcmc

/// Which Hamiltonian sampler runs.
type McmcAlgorithm =
    /// Fixed (or randomised up to) LeapfrogSteps per iteration.
    | StaticHmc
    /// No-U-Turn: trajectory lengths chosen per iteration, up to 2^MaxTreeDepth steps.
    | Nuts

/// Hamiltonian Monte Carlo settings (the core's HmcOptions; see its docs for the algorithm).
type McmcSettings =
    { Algorithm: McmcAlgorithm
      Samples: int
      Warmup: int
      Chains: int
      /// Starting step size for adaptation (or the step size when AdaptStepSize is false).
      StepSize: float
      /// Leapfrog steps per proposal (the maximum when RandomizeSteps).
      LeapfrogSteps: int
      TargetAcceptance: float
      AdaptStepSize: bool
      AdaptMassMatrix: bool
      RandomizeSteps: bool
      /// NUTS only.
      MaxTreeDepth: int
      /// Adapt a dense inverse mass matrix (the posterior covariance) instead of its diagonal.
      DenseMassMatrix: bool
      Seed: int64 }

    static member Default =
        let o = HmcOptions()
        { Algorithm = StaticHmc; Samples = o.Samples; Warmup = o.Warmup; Chains = o.Chains;
          StepSize = o.StepSize; LeapfrogSteps = o.LeapfrogSteps
          TargetAcceptance = o.TargetAcceptance; AdaptStepSize = o.AdaptStepSize; AdaptMassMatrix = o.AdaptMassMatrix
          RandomizeSteps = o.RandomizeSteps; MaxTreeDepth = o.MaxTreeDepth; DenseMassMatrix = o.DenseMassMatrix; Seed = o.Seed }

    /// The core's options these settings stand for.
    member s.ToOptions() =
        HmcOptions(s.Samples, s.Warmup, s.Chains, s.StepSize, s.LeapfrogSteps, s.TargetAcceptance, s.AdaptStepSize, s.AdaptMassMatrix,
                   s.RandomizeSteps, Seed = s.Seed, MaxTreeDepth = s.MaxTreeDepth, DenseMassMatrix = s.DenseMassMatrix)

/// Builder of `mcmc { ... }` and `nuts { ... }` (the same settings, a different default algorithm).
type McmcBuilder(algorithm: McmcAlgorithm) =
    member _.Yield(()) = { McmcSettings.Default with Algorithm = algorithm }
    member _.Zero() = { McmcSettings.Default with Algorithm = algorithm }
    [<CustomOperation "samples">]
    member _.Samples(s: McmcSettings, n: int) = { s with Samples = n }
    [<CustomOperation "warmup">]
    member _.Warmup(s: McmcSettings, n: int) = { s with Warmup = n }
    [<CustomOperation "chains">]
    member _.Chains(s: McmcSettings, n: int) = { s with Chains = n }
    [<CustomOperation "stepSize">]
    member _.StepSize(s: McmcSettings, eps: float) = { s with StepSize = eps }
    [<CustomOperation "leapfrogSteps">]
    member _.LeapfrogSteps(s: McmcSettings, n: int) = { s with LeapfrogSteps = n }
    [<CustomOperation "targetAcceptance">]
    member _.TargetAcceptance(s: McmcSettings, delta: float) = { s with TargetAcceptance = delta }
    /// Keep the given step size (no dual averaging).
    [<CustomOperation "fixedStepSize">]
    member _.FixedStepSize(s: McmcSettings) = { s with AdaptStepSize = false }
    /// Keep the identity mass matrix (no variance estimate in warm-up).
    [<CustomOperation "unitMass">]
    member _.UnitMass(s: McmcSettings) = { s with AdaptMassMatrix = false }
    /// Use exactly leapfrogSteps steps every iteration.
    [<CustomOperation "fixedSteps">]
    member _.FixedSteps(s: McmcSettings) = { s with RandomizeSteps = false }
    /// Adapt a dense inverse mass matrix, the posterior covariance (Stan's dense_e), instead of its diagonal: for correlated
    /// coordinates, up to 2,000 of them.
    [<CustomOperation "denseMass">]
    member _.DenseMass(s: McmcSettings) = { s with DenseMassMatrix = true }
    [<CustomOperation "maxTreeDepth">]
    member _.MaxTreeDepth(s: McmcSettings, depth: int) = { s with MaxTreeDepth = depth }
    [<CustomOperation "seed">]
    member _.Seed(s: McmcSettings, seed: int64) = { s with Seed = seed }

/// One coordinate's posterior summary and diagnostics.
type McmcParameter = { Mean: float; StdDev: float; Mcse: float; Ess: float; BulkEss: float; RHat: float }

/// The outcome of an MCMC run, as plain data.
type McmcRun =
    { /// Draws as [chain][draw][coordinate].
      Draws: float[][][]
      Parameters: McmcParameter list
      AcceptanceRate: float
      WarmupAcceptanceRate: float
      StepSizes: float list
      Divergences: int
      GradientEvaluations: int64
      /// Each chain's gradients in warm-up and in sampling; one far above the others is what kept the batched calls short.
      GradientsPerChain: ChainGradients list
      Elapsed: TimeSpan
      /// Smallest ESS over coordinates per second.
      EssPerSecond: float
      MaxRHat: float }

[<AutoOpen>]
module McmcBuilders =
    /// `mcmc { ... }` declares (static) Hamiltonian Monte Carlo settings.
    let mcmc = McmcBuilder(StaticHmc)
    /// `nuts { ... }` declares No-U-Turn sampler settings.
    let nuts = McmcBuilder(Nuts)

/// Targets and the sampler: `Hmc.sample settings target`.
module Hmc =
    /// A target from a function of a parameter vector [D] to its unnormalized log density (a scalar tensor).
    let target (dimension: int) (logDensity: TorchSharp.torch.Tensor -> TorchSharp.torch.Tensor) =
        LogDensity.FromFunction(dimension, Func<_, _> logDensity)

    /// A vectorised target: positions [chains, D] to log densities [chains], one call per step for all chains.
    let batchedTarget (dimension: int) (logDensity: TorchSharp.torch.Tensor -> TorchSharp.torch.Tensor) =
        LogDensity.FromBatchedFunction(dimension, Func<_, _> logDensity)

    /// A vectorised target with its gradient in closed form: `valueAndGradient` maps positions [chains, D] to (log densities
    /// [chains], gradients [chains, D]); the samplers use it instead of autograd, `logDensity` stays the differentiable form.
    let targetWithGradient (dimension: int) (logDensity: TorchSharp.torch.Tensor -> TorchSharp.torch.Tensor)
                           (valueAndGradient: TorchSharp.torch.Tensor -> TorchSharp.torch.Tensor * TorchSharp.torch.Tensor) =
        LogDensity.FromBatchedFunction(dimension, Func<_, _> logDensity,
                                       Func<_, _>(fun x -> let value, gradient = valueAndGradient x in struct (value, gradient)))

    /// The posterior of Bayesian linear regression with known noise (the conjugate model, so exact answers exist).
    let linearRegression (noiseStd: float) (priorStd: float) (x: TorchSharp.torch.Tensor) (y: TorchSharp.torch.Tensor) =
        LogDensity.BayesianLinearRegression(x, y, noiseStd, priorStd)

    /// The posterior of Bayesian logistic regression, labels 0/1.
    let logisticRegression (priorStd: float) (x: TorchSharp.torch.Tensor) (y: TorchSharp.torch.Tensor) =
        LogDensity.BayesianLogisticRegression(x, y, priorStd)

    let private ofResult (r: McmcResult) =
        let flat = Tensors.toArray r.Samples
        let d, n = r.Dimension, r.DrawsPerChain
        { Draws = Array.init r.ChainCount (fun j -> Array.init n (fun i -> Array.sub flat ((j * n + i) * d) d))
          Parameters =
            [ for s in r.Summary -> { Mean = s.Mean; StdDev = s.StdDev; Mcse = s.Mcse; Ess = s.Ess; BulkEss = s.BulkEss; RHat = s.RHat } ]
          AcceptanceRate = r.AcceptanceRate
          WarmupAcceptanceRate = r.WarmupAcceptanceRate
          StepSizes = List.ofSeq r.StepSizes
          Divergences = r.Divergences
          GradientEvaluations = r.GradientEvaluations
          GradientsPerChain = List.ofSeq r.GradientsPerChain
          Elapsed = r.Elapsed
          EssPerSecond = r.EssPerSecond
          MaxRHat = r.MaxRHat }

    /// Runs the sampler `settings` declare on `target`; bad settings or a target that is not finite at the start are an
    /// InvalidParameter error with the core's message (parameter, value, expected range, fix).
    let sample (settings: McmcSettings) (target: LogDensity) : Result<McmcRun, BayesError> =
        BayesError.ofCoreIn "mcmc" (fun () ->
            use r =
                match settings.Algorithm with
                | StaticHmc -> HamiltonianMonteCarlo.Sample(target, settings.ToOptions())
                | Nuts -> NoUTurnSampler.Sample(target, settings.ToOptions())
            ofResult r)

    /// HMC on Bayesian linear regression, summarised like `LinearRegression.exactPosterior` and `fitVariational`.
    let linearRegressionPosterior (settings: McmcSettings) (noiseStd: float) (priorStd: float) x y =
        BayesError.ofCoreIn "mcmc" (fun () -> linearRegression noiseStd priorStd x y)
        |> Result.bind (sample settings)
        |> Result.map (fun run ->
            ({ Mean = [| for p in run.Parameters -> p.Mean |];
               StdDev = [| for p in run.Parameters -> p.StdDev |] }: LinearRegression.WeightPosterior), run)

    /// MCMC over all weights of the network a `model { }` (or `bayes { }`) declaration describes, on data x [N, in] and
    /// y ([N] or [N, out] targets for `gaussianWith sigma`; class indices [N] for `categorical`): the core's
    /// NetworkLogDensity under the `mcmc { }`/`nuts { }` settings. The result predicts like the other inference methods
    /// (`posterior.Predict(xs, samples)`) and owns its draws (dispose it). Declaration, data-shape and settings mistakes
    /// come back as a BayesError before any step.
    let network (settings: McmcSettings) (declaration: ModelDecl) (x: TorchSharp.torch.Tensor) (y: TorchSharp.torch.Tensor)
        : Result<NetworkPosterior, BayesError> =
        Model.validate declaration
        |> Result.bind (fun () ->
            let builder = Model.toBuilder declaration
            BayesError.ofCoreIn "mcmc" (fun () ->
                match settings.Algorithm with
                | StaticHmc -> builder.SampleHmc(x, y, settings.ToOptions())
                | Nuts -> builder.SampleNuts(x, y, settings.ToOptions())))
