/// SWAG and stochastic-gradient MCMC from a `model { ... }` declaration: `swag { rank 20; burnIn 5; epochs 15 }` and
/// `sgmcmc { sampler sghmc; cycles 4; stepSize 5e-6 }` produce the core's options records (SwagOptions, SgmcmcOptions), and
/// `Swag.fit`, `Swag.fitMulti` and `Sgmcmc.sample` run them through the core's PosteriorFitting (the C# `FitSwag`, `FitMultiSwag`,
/// `FitSgmcmc`), returning expected failures as a BayesError.
[<AutoOpen>]
module BayesDL.Dsl.PosteriorDsl

open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Mcmc
open BayesDL.Swag
open BayesDL.Training

/// The SWAG settings a `swag { }` block builds up (the core's SwagOptions, field by field).
type SwagSettings =
    { Rank: int; Epochs: int; BurnInEpochs: int; BatchSize: int; LearningRate: float; Momentum: bool; Cycles: int
      SnapshotsPerEpoch: int; Seed: int64 }

    /// The core's defaults.
    static member Default =
        let o = SwagOptions()
        { Rank = o.Rank; Epochs = o.Epochs; BurnInEpochs = o.BurnInEpochs; BatchSize = o.BatchSize; LearningRate = o.LearningRate
          Momentum = (o.Optimizer = OptimizerKind.SgdMomentum); Cycles = o.Cycles; SnapshotsPerEpoch = o.SnapshotsPerEpoch; Seed = o.Seed }

    /// The core's options these settings stand for.
    member s.ToOptions() =
        SwagOptions(s.Rank, s.Epochs, s.BurnInEpochs, s.BatchSize, s.LearningRate,
                    (if s.Momentum then OptimizerKind.SgdMomentum else OptimizerKind.Sgd), s.Cycles, s.SnapshotsPerEpoch, s.Seed)

/// Builder of `swag { ... }`: its value is the core's SwagOptions.
type SwagBuilder() =
    member _.Yield(()) = SwagSettings.Default
    member _.Zero() = SwagSettings.Default
    member _.Run(s: SwagSettings) = s.ToOptions()
    /// K, the deviations kept (default 20).
    [<CustomOperation "rank">]
    member _.Rank(s: SwagSettings, k: int) = { s with Rank = k }
    [<CustomOperation "epochs">]
    member _.Epochs(s: SwagSettings, n: int) = { s with Epochs = n }
    /// Epochs before the first snapshot.
    [<CustomOperation "burnIn">]
    member _.BurnIn(s: SwagSettings, n: int) = { s with BurnInEpochs = n }
    [<CustomOperation "batchSize">]
    member _.BatchSize(s: SwagSettings, n: int) = { s with BatchSize = n }
    [<CustomOperation "learningRate">]
    member _.LearningRate(s: SwagSettings, rate: float) = { s with LearningRate = rate }
    /// Plain SGD instead of SGD with Nesterov momentum 0.9.
    [<CustomOperation "plainSgd">]
    member _.PlainSgd(s: SwagSettings) = { s with Momentum = false }
    /// A cyclic cosine rate with this many cycles, a snapshot at the end of each.
    [<CustomOperation "cycles">]
    member _.Cycles(s: SwagSettings, n: int) = { s with Cycles = n }
    [<CustomOperation "snapshotsPerEpoch">]
    member _.SnapshotsPerEpoch(s: SwagSettings, n: int) = { s with SnapshotsPerEpoch = n }
    [<CustomOperation "seed">]
    member _.Seed(s: SwagSettings, seed: int64) = { s with Seed = seed }

/// The stochastic-gradient MCMC settings an `sgmcmc { }` block builds up (the core's SgmcmcOptions, field by field).
type SgmcmcSettings =
    { Sampler: SgmcmcKind; Epochs: int; BatchSize: int; StepSize: float; Chains: int; BurnInEpochs: int; Thinning: int; Temperature: float
      Friction: float; PreconditionerDecay: float; PreconditionerEpsilon: float; Cycles: int; ExplorationFraction: float; Seed: int64
      StepDecay: float; StepDecayOffset: float }

    /// The core's defaults.
    static member Default =
        let o = SgmcmcOptions()
        { Sampler = o.Sampler; Epochs = o.Epochs; BatchSize = o.BatchSize; StepSize = o.StepSize; Chains = o.Chains
          BurnInEpochs = o.BurnInEpochs; Thinning = o.Thinning; Temperature = o.Temperature; Friction = o.Friction
          PreconditionerDecay = o.PreconditionerDecay; PreconditionerEpsilon = o.PreconditionerEpsilon; Cycles = o.Cycles
          ExplorationFraction = o.ExplorationFraction; Seed = o.Seed; StepDecay = o.StepDecay; StepDecayOffset = o.StepDecayOffset }

    /// The core's options these settings stand for.
    member s.ToOptions() =
        SgmcmcOptions(s.Sampler, s.Epochs, s.BatchSize, s.StepSize, s.Chains, s.BurnInEpochs, s.Thinning, s.Temperature, s.Friction,
                      s.PreconditionerDecay, s.PreconditionerEpsilon, s.Cycles, s.ExplorationFraction, s.Seed, s.StepDecay,
                      s.StepDecayOffset)

/// The samplers, for `sampler sghmc` and friends.
[<AutoOpen>]
module Samplers =
    /// Stochastic gradient Langevin dynamics (Welling & Teh 2011).
    let sgld = SgmcmcKind.Sgld
    /// SGLD with the RMSprop preconditioner (Li et al. 2016).
    let psgld = SgmcmcKind.PreconditionedSgld
    /// Stochastic gradient HMC (Chen et al. 2014).
    let sghmc = SgmcmcKind.Sghmc

/// Builder of `sgmcmc { ... }`: its value is the core's SgmcmcOptions.
type SgmcmcBuilder() =
    member _.Yield(()) = SgmcmcSettings.Default
    member _.Zero() = SgmcmcSettings.Default
    member _.Run(s: SgmcmcSettings) = s.ToOptions()
    [<CustomOperation "sampler">]
    member _.Sampler(s: SgmcmcSettings, kind: SgmcmcKind) = { s with Sampler = kind }
    [<CustomOperation "epochs">]
    member _.Epochs(s: SgmcmcSettings, n: int) = { s with Epochs = n }
    [<CustomOperation "batchSize">]
    member _.BatchSize(s: SgmcmcSettings, n: int) = { s with BatchSize = n }
    /// η, on the full-data gradient (η N is the per-example rate).
    [<CustomOperation "stepSize">]
    member _.StepSize(s: SgmcmcSettings, eta: float) = { s with StepSize = eta }
    [<CustomOperation "chains">]
    member _.Chains(s: SgmcmcSettings, n: int) = { s with Chains = n }
    [<CustomOperation "burnIn">]
    member _.BurnIn(s: SgmcmcSettings, n: int) = { s with BurnInEpochs = n }
    [<CustomOperation "thinning">]
    member _.Thinning(s: SgmcmcSettings, k: int) = { s with Thinning = k }
    /// The posterior temperature T (1 = the Bayes posterior).
    [<CustomOperation "temperature">]
    member _.Temperature(s: SgmcmcSettings, t: float) = { s with Temperature = t }
    [<CustomOperation "friction">]
    member _.Friction(s: SgmcmcSettings, alpha: float) = { s with Friction = alpha }
    /// Cyclical step sizes (Zhang et al. 2020) with this many cycles.
    [<CustomOperation "cycles">]
    member _.Cycles(s: SgmcmcSettings, n: int) = { s with Cycles = n }
    /// β, the exploring (noise-free) part of each cycle.
    [<CustomOperation "exploration">]
    member _.Exploration(s: SgmcmcSettings, beta: float) = { s with ExplorationFraction = beta }
    /// The decreasing step size η_t = η_0 (1 + t / b)^(-γ) (Welling & Teh 2011) with this γ in (0.5, 1].
    [<CustomOperation "stepDecay">]
    member _.StepDecay(s: SgmcmcSettings, gamma: float) = { s with StepDecay = gamma }
    /// b of the decreasing step size, in steps.
    [<CustomOperation "stepDecayOffset">]
    member _.StepDecayOffset(s: SgmcmcSettings, b: float) = { s with StepDecayOffset = b }
    [<CustomOperation "seed">]
    member _.Seed(s: SgmcmcSettings, seed: int64) = { s with Seed = seed }

/// `swag { ... }` declares SWAG settings (a SwagOptions).
let swag = SwagBuilder()

/// `sgmcmc { ... }` declares stochastic-gradient MCMC settings (an SgmcmcOptions).
let sgmcmc = SgmcmcBuilder()

/// SWAG and MultiSWAG fits of a declared network, through the core.
module Swag =
    /// SWAG on `data` (on the policy's device and dtype) from the declaration's initial weights, or from `initial` weights [D].
    let fit (options: SwagOptions) (policy: ComputePolicy) (data: BayesDL.Data.LabeledData) (initial: TorchSharp.torch.Tensor option)
        (d: ModelDecl) : Result<SwagPosterior, BayesError> =
        BayesError.ofCore (fun () -> (Model.toBuilder d).FitSwag(data, options, policy, Option.toObj initial))

    /// MultiSWAG: `members` SWAG posteriors from the ensemble's initialisations, or from the rows of `initial` [members, D]
    /// (e.g. a trained deep ensemble's weights).
    let fitMulti (members: int) (options: SwagOptions) (policy: ComputePolicy) (data: BayesDL.Data.LabeledData)
        (initial: TorchSharp.torch.Tensor option) (d: ModelDecl) : Result<MultiSwagPosterior, BayesError> =
        BayesError.ofCore (fun () -> (Model.toBuilder d).FitMultiSwag(data, members, options, policy, Option.toObj initial))

/// Stochastic-gradient MCMC over a declared network's weights, through the core.
module Sgmcmc =
    /// Samples on `data` (on the policy's device and dtype); chain c starts from the ensemble's network c, or from `initial`.
    let sample (options: SgmcmcOptions) (policy: ComputePolicy) (data: BayesDL.Data.LabeledData) (initial: TorchSharp.torch.Tensor option)
        (d: ModelDecl) : Result<SgmcmcPosterior, BayesError> =
        BayesError.ofCore (fun () -> (Model.toBuilder d).FitSgmcmc(data, options, policy, Option.toObj initial))
