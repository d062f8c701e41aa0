/// Deep ensembles from a `model { ... }` declaration: `ensemble { members 5; epochs 20 }` declares the ensemble's
/// settings and `Ensemble.fit` trains the members through the core's EnsembleBuilding (the C# `FitEnsemble`).
[<AutoOpen>]
module BayesDL.Dsl.EnsembleDsl

open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Inference

/// Deep-ensemble settings: M members, each trained by maximum likelihood from its own seed (Seed + m).
type EnsembleSettings =
    { Members: int
      Epochs: int
      BatchSize: int
      LearningRate: float
      Seed: int64
      /// Adversarial training's epsilon (Lakshminarayanan et al. 2017, sec. 2.3); 0 = off.
      AdversarialEpsilon: float }

    /// The core's defaults (EnsembleFitOptions()).
    static member Default =
        let o = EnsembleFitOptions()
        { Members = o.Members; Epochs = o.Epochs; BatchSize = o.BatchSize; LearningRate = o.LearningRate; Seed = o.Seed
          AdversarialEpsilon = o.AdversarialEpsilon }

    /// The core's options these settings stand for.
    member s.ToOptions() = EnsembleFitOptions(s.Members, s.Epochs, s.BatchSize, s.LearningRate, s.Seed, s.AdversarialEpsilon)

/// Builder of `ensemble { ... }`.
type EnsembleBuilderCE() =
    member _.Yield(()) = EnsembleSettings.Default
    member _.Zero() = EnsembleSettings.Default
    [<CustomOperation "members">]
    member _.Members(s: EnsembleSettings, n: int) = { s with Members = n }
    [<CustomOperation "epochs">]
    member _.Epochs(s: EnsembleSettings, n: int) = { s with Epochs = n }
    [<CustomOperation "batchSize">]
    member _.BatchSize(s: EnsembleSettings, n: int) = { s with BatchSize = n }
    [<CustomOperation "learningRate">]
    member _.LearningRate(s: EnsembleSettings, rate: float) = { s with LearningRate = rate }
    [<CustomOperation "seed">]
    member _.Seed(s: EnsembleSettings, seed: int64) = { s with Seed = seed }
    /// `adversarial 0.01`: train each member on x and on its fast-gradient-sign perturbation of size epsilon.
    [<CustomOperation "adversarial">]
    member _.Adversarial(s: EnsembleSettings, epsilon: float) = { s with AdversarialEpsilon = epsilon }

/// `ensemble { ... }` declares deep-ensemble settings.
let ensemble = EnsembleBuilderCE()

/// A trained ensemble: the core's DeepEnsemble (an IStochasticPredictor: `Predict(x)` mixes all members) and,
/// per member, its mean training loss per epoch.
type FittedEnsemble =
    { Ensemble: DeepEnsemble
      MemberLosses: float list list }

    /// The mixture predictive of all members.
    member this.Predict(x: TorchSharp.torch.Tensor) = this.Ensemble.Predict x

/// Validation, construction and training of deep ensembles, all through the core.
module Ensemble =
    let private declared (d: ModelDecl) =
        match d.Network, d.Likelihood with
        | None, _ ->
            Error(Incomplete "The ensemble's model declares no network; add `network (linear 1L 50L >> Activation.relu >> linear 50L 2L)`.")
        | _, None ->
            Error(Incomplete "The ensemble's model declares no likelihood; add `likelihood heteroscedastic` (or categorical, bernoulli).")
        | _ -> Ok(Model.toBuilder d)

    /// Every mistake that keeps the model from being an ensemble with these settings, as one BayesError.
    let validate (settings: EnsembleSettings) (d: ModelDecl) : Result<unit, BayesError> =
        declared d |> Result.bind (fun b -> b.ValidateEnsemble(settings.ToOptions()) |> BayesError.ofReport)

    /// The untrained members under `policy` (member m created after seeding with Seed + m).
    let buildOn (settings: EnsembleSettings) (policy: ComputePolicy) (d: ModelDecl) : Result<DeepEnsemble, BayesError> =
        validate settings d
        |> Result.bind (fun () -> BayesError.ofCore (fun () -> (Model.toBuilder d).BuildEnsemble(settings.Members, settings.Seed, policy)))

    /// Builds the members under `policy` and trains each on `data` by maximum likelihood.
    let fit (settings: EnsembleSettings) (policy: ComputePolicy) (data: BayesDL.Data.LabeledData) (d: ModelDecl)
            : Result<FittedEnsemble, BayesError> =
        validate settings d
        |> Result.bind (fun () ->
            BayesError.ofCore (fun () ->
                let r = (Model.toBuilder d).FitEnsemble(data, settings.ToOptions(), policy)
                { Ensemble = r.Ensemble; MemberLosses = r.MemberLosses |> Seq.map List.ofSeq |> List.ofSeq }))

    /// Saves every member's weights, their common layers and the likelihood to `path` through the core's
    /// `ModelFile.SaveEnsemble` (one file, written atomically). A file error comes back as ModelFileError; members the
    /// file cannot describe (declared unlike each other) as InvalidParameter.
    let save (path: string) (ensemble: DeepEnsemble) : Result<unit, BayesError> =
        BayesError.ofModelFile path (fun () -> BayesDL.Models.ModelFile.SaveEnsemble(ensemble, path))

    /// Loads an ensemble written by `Ensemble.save` (or `bayesdl train --method ensemble`) under `policy`, its members in
    /// evaluation mode. Every file the core refuses (missing, not a model, corrupt, a network's or a VAE's file) comes back as
    /// ModelFileError naming the file.
    let load (path: string) (policy: ComputePolicy) : Result<DeepEnsemble, BayesError> =
        BayesError.ofModelFile path (fun () -> BayesDL.Models.ModelFile.LoadEnsemble(path, policy))
