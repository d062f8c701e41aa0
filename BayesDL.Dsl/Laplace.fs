/// The post-hoc Laplace approximation from F#: `laplace { subset lastLayer; hessian kfac; predictive glm; tunePrior }` declares
/// the core's LaplaceOptions, and `Laplace.fit` fits it around a trained model through the core (BuiltModel.FitLaplace).
[<AutoOpen>]
module BayesDL.Dsl.LaplaceDsl

open BayesDL.Posthoc

/// `subset lastLayer`: only the last dense layer is random.
let lastLayer = LaplaceSubset.LastLayer
/// `subset allWeights`: every weight is random.
let allWeights = LaplaceSubset.AllWeights
/// `hessian kfac`: Kronecker-factored per layer.
let kfac = HessianStructure.Kron
/// `hessian diagonalGgn`: the GGN's diagonal.
let diagonalGgn = HessianStructure.Diagonal
/// `hessian fullGgn`: the full GGN (last layer, small networks).
let fullGgn = HessianStructure.Full
/// `hessian lowRankGgn`: the top `rank` eigenpairs.
let lowRankGgn = HessianStructure.LowRank
/// `predictive glm`: the linearised network.
let glm = LaplacePredictiveKind.Glm
/// `predictive weightSampling`: Monte Carlo over the weights.
let weightSampling = LaplacePredictiveKind.Sampling

/// Laplace settings, mirroring the core's LaplaceOptions (their defaults come from it).
type LaplaceSettings =
    { Subset: LaplaceSubset
      Hessian: HessianStructure
      Predictive: LaplacePredictiveKind
      Link: GlmLink
      PriorPrecision: float
      PriorScope: PriorPrecisionScope
      TunePrior: bool
      TuneNoise: bool
      Rank: int
      Samples: int
      MemoryBudgetBytes: int64 option
      Seed: int64 }

    /// The core's defaults (LaplaceOptions()).
    static member Default =
        let o = LaplaceOptions()
        { Subset = o.Subset; Hessian = o.Hessian; Predictive = o.Predictive; Link = o.Link; PriorPrecision = o.PriorPrecision
          PriorScope = o.PriorScope; TunePrior = o.TunePrior; TuneNoise = o.TuneNoise; Rank = o.Rank; Samples = o.Samples
          MemoryBudgetBytes = Option.ofNullable o.MemoryBudgetBytes; Seed = o.Seed }

    /// The core's options these settings stand for.
    member s.ToOptions() =
        LaplaceOptions(s.Subset, s.Hessian, s.Predictive, s.Link, s.PriorPrecision, s.PriorScope, s.TunePrior, s.TuneNoise, s.Rank,
                       Samples = s.Samples, MemoryBudgetBytes = Option.toNullable s.MemoryBudgetBytes, Seed = s.Seed)

/// Builder of `laplace { ... }`.
type LaplaceBuilderCE() =
    member _.Yield(()) = LaplaceSettings.Default
    member _.Zero() = LaplaceSettings.Default
    [<CustomOperation "subset">]
    member _.Subset(s: LaplaceSettings, subset: LaplaceSubset) = { s with Subset = subset }
    [<CustomOperation "hessian">]
    member _.Hessian(s: LaplaceSettings, hessian: HessianStructure) = { s with Hessian = hessian }
    /// `rank 20`: the eigenpairs of `hessian lowRankGgn`.
    [<CustomOperation "rank">]
    member _.Rank(s: LaplaceSettings, k: int) = { s with Rank = k }
    [<CustomOperation "predictive">]
    member _.Predictive(s: LaplaceSettings, p: LaplacePredictiveKind) = { s with Predictive = p }
    /// `monteCarloLink`: a classifier's GLM predictive draws f instead of the probit approximation.
    [<CustomOperation "monteCarloLink">]
    member _.MonteCarloLink(s: LaplaceSettings) = { s with Link = GlmLink.MonteCarlo }
    [<CustomOperation "priorPrecision">]
    member _.PriorPrecision(s: LaplaceSettings, delta: float) = { s with PriorPrecision = delta }
    /// `tunePrior`: one prior precision tuned by the log evidence.
    [<CustomOperation "tunePrior">]
    member _.TunePrior(s: LaplaceSettings) = { s with TunePrior = true }
    /// `tunePriorPerLayer`: one prior precision per dense layer, tuned by the log evidence.
    [<CustomOperation "tunePriorPerLayer">]
    member _.TunePriorPerLayer(s: LaplaceSettings) = { s with TunePrior = true; PriorScope = PriorPrecisionScope.PerLayer }
    /// `tuneNoise`: a Gaussian likelihood's noise sd tuned by the log evidence as well.
    [<CustomOperation "tuneNoise">]
    member _.TuneNoise(s: LaplaceSettings) = { s with TuneNoise = true }
    [<CustomOperation "samples">]
    member _.Samples(s: LaplaceSettings, t: int) = { s with Samples = t }
    [<CustomOperation "memoryBudget">]
    member _.MemoryBudget(s: LaplaceSettings, bytes: int64) = { s with MemoryBudgetBytes = Some bytes }
    [<CustomOperation "seed">]
    member _.Seed(s: LaplaceSettings, seed: int64) = { s with Seed = seed }

/// `laplace { ... }` declares the settings of a Laplace approximation.
let laplace = LaplaceBuilderCE()

/// Fitting through the core.
[<RequireQualifiedAccess>]
module Laplace =
    /// Fits the Laplace approximation around a trained model's weights on its training data; a setting out of range, an
    /// unsupported layer or a Hessian over the memory budget comes back as an Error naming it.
    let fit (settings: LaplaceSettings) (data: BayesDL.Data.LabeledData) (fitted: FittedModel) : Result<LaplacePosterior, BayesError> =
        BayesError.ofCore (fun () -> BayesDL.Builders.LaplaceFitting.FitLaplace(fitted.Model.Core, data, settings.ToOptions()))

    /// Fits the Laplace approximation around member `m` of a trained deep ensemble (`ensemble { members 1 }` is a MAP network
    /// trained by maximum likelihood).
    let fitMember (settings: LaplaceSettings) (data: BayesDL.Data.LabeledData) (m: int) (fitted: FittedEnsemble) =
        BayesError.ofCore (fun () -> BayesDL.Builders.LaplaceFitting.FitLaplace(fitted.Ensemble, m, data, settings.ToOptions()))
