/// The `model { ... }` (alias `bayes { ... }`) computation expression: a model's network, likelihood,
/// prior and variational family as one declaration; `Model.build` validates it through the core builder
/// (shape walk, likelihood fit) and creates the modules, or returns the mistake as a BayesError.
[<AutoOpen>]
module BayesDL.Dsl.Model

open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Predictive
open TorchSharp

/// What a `model { ... }` block declares.
type ModelDecl =
    { Network: Layer option
      Likelihood: BayesDL.Predictive.LikelihoodSpec option
      /// The weight prior; None: the core's default (N(0, 1)).
      Prior: Prior option
      Family: VariationalFamily
      /// How the deterministic weight layers draw their starting weights; None: the core's default (TorchSharp's own).
      Initialization: BayesDL.Networks.WeightInitialization option }

    /// Nothing declared yet: the core's default prior, family and initialisation (N(0, 1), mean field, TorchSharp's).
    static member Empty =
        { Network = None; Likelihood = None; Prior = None; Family = ModelBuilder.Sequential().Family; Initialization = None }

/// A built model: the core's network and shapes, and the declaration it came from.
type BuiltNetwork =
    { Core: BuiltModel
      InputShape: int64 list
      OutputShape: int64 list
      Declaration: ModelDecl }

    /// One stochastic pass f(x) for a batch x of shape [batch, ..InputShape].
    member this.Forward(x: torch.Tensor) = this.Core.Forward x

    /// The predictive distribution from `samples` stochastic passes (weight draws or dropout masks).
    member this.Predict(x: torch.Tensor, samples: int) = this.Core.Predict(x, samples)

/// One training epoch.
type EpochSummary = { Epoch: int; Elbo: float; MeanLoss: float; KL: float; Seconds: float }

/// A fitted model and its training history.
type FittedModel = { Model: BuiltNetwork; Epochs: EpochSummary list }

/// A model read back with `Model.load`: the core network (layers, likelihood and trained posterior) and what its first
/// weight layer takes in. A model file stores the network, not the `model { ... }` declaration or the training history,
/// so this is not a FittedModel; it predicts like one (`loaded.Predict(x, samples)`, the same weight draws for the same
/// seed) and is an IStochasticPredictor for the evaluation code. Dispose it when done.
type LoadedModel =
    { Network: BayesDL.Models.BayesianNetwork
      /// Input features (or channels, for a convolutional first layer); None when the body has no weight layer.
      Input: BayesDL.Models.NetworkInput option
      /// The file it was read from.
      Path: string }

    /// One stochastic pass f(x) (raw outputs: logits, means).
    member this.Forward(x: torch.Tensor) = this.Network.forward x

    /// The predictive distribution from `samples` stochastic passes, in evaluation mode without gradient.
    member this.Predict(x: torch.Tensor, samples: int) = this.Network.Predict(x, samples)

    interface BayesDL.Predictive.IStochasticPredictor with
        member this.Predict(x, samples) = this.Network.Predict(x, samples)

    interface System.IDisposable with
        member this.Dispose() = this.Network.Dispose()

/// Builder of `model { network ...; likelihood ...; prior ...; variational ... }`.
type ModelBuilderCE() =
    member _.Yield(()) = ModelDecl.Empty
    member _.Zero() = ModelDecl.Empty
    /// The layers, composed with `>>`.
    [<CustomOperation "network">]
    member _.Network(d: ModelDecl, layers: Layer) = { d with Network = Some layers }
    /// The layers, as a list.
    [<CustomOperation "layers">]
    member _.Layers(d: ModelDecl, layers: Layer list) = { d with Network = Some(chain layers) }
    /// The likelihood p(y | f(x)).
    [<CustomOperation "likelihood">]
    member _.Likelihood(d: ModelDecl, likelihood: BayesDL.Predictive.LikelihoodSpec) = { d with Likelihood = Some likelihood }
    /// The prior over the weights of the Bayesian layers.
    [<CustomOperation "prior">]
    member _.Prior(d: ModelDecl, prior: Prior) = { d with Prior = Some prior }
    /// The variational family q.
    [<CustomOperation "variational">]
    member _.Variational(d: ModelDecl, family: VariationalFamily) = { d with Family = family }
    /// How the deterministic weight layers start, e.g. `initialization WeightInitialization.GlorotUniform` (Keras's default).
    [<CustomOperation "initialization">]
    member _.Initialization(d: ModelDecl, initialization: BayesDL.Networks.WeightInitialization) =
        { d with Initialization = Some initialization }

/// `model { ... }` declares a model.
let model = ModelBuilderCE()
/// Alias of `model`.
let bayes = model

/// Validation and construction, all through the core's SequentialBuilder.
module Model =
    /// The core declaration this model maps to (the same object a C# user builds fluently).
    let toBuilder (d: ModelDecl) : SequentialBuilder =
        let layers = defaultArg d.Network id
        let declared = (layers (ModelBuilder.Sequential())).WithVariational(d.Family)
        let withPrior = match d.Prior with Some prior -> declared.WithPrior(Prior.weightPrior prior) | None -> declared
        let b = match d.Initialization with Some init -> withPrior.WithInitialization init | None -> withPrior
        match d.Likelihood with
        | Some l -> b.WithLikelihood l
        | None -> b

    /// Every mistake in the declaration, as one BayesError.
    let validate (d: ModelDecl) : Result<unit, BayesError> =
        match d.Network, d.Likelihood with
        | None, _ ->
            Error(Incomplete "The model declares no network; add `network (linear 784L 400L >> Activation.relu >> linear 400L 10L)`.")
        | _, None ->
            Error(Incomplete "The model declares no likelihood; add `likelihood categorical` (or gaussian, bernoulli, heteroscedastic).")
        | _ -> (toBuilder d).Validate() |> BayesError.ofReport

    /// Validates, then creates the network under `policy`.
    let buildOn (policy: ComputePolicy) (d: ModelDecl) : Result<BuiltNetwork, BayesError> =
        validate d
        |> Result.bind (fun () ->
            BayesError.ofCore (fun () ->
                let core = (toBuilder d).Build policy
                { Core = core; InputShape = List.ofArray core.InputShape; OutputShape = List.ofArray core.OutputShape; Declaration = d }))

    /// Validates, then creates the network under the default policy.
    let build (d: ModelDecl) = buildOn (ComputePolicy.Default) d

    let private summary (e: BayesDL.Training.EpochReport) =
        { Epoch = e.Epoch; Elbo = e.Elbo; MeanLoss = e.MeanLoss; KL = e.KL; Seconds = e.Seconds }

    /// Trains a built model; a fit that fails (an Error) disposes the model it built, so a failed Result holds no native memory.
    let private train (fit: BuiltModel -> System.Collections.Generic.IReadOnlyList<BayesDL.Training.EpochReport>) (m: BuiltNetwork) =
        match BayesError.ofCore (fun () -> fit m.Core |> Seq.map summary |> List.ofSeq) with
        | Ok epochs -> Ok { Model = m; Epochs = epochs }
        | Error e ->
            m.Core.Dispose()
            Error e

    let private fitWith (options: VariationalFitOptions) (policy: ComputePolicy) (data: BayesDL.Data.LabeledData) (d: ModelDecl) =
        validate d
        |> Result.bind (fun () -> (toBuilder d).ValidateFit options |> BayesError.ofReport)
        |> Result.bind (fun () -> buildOn policy d)
        |> Result.bind (train (fun core -> core.Fit(data, options)))

    /// Builds the model under `policy` and fits it by variational inference (the core's Trainer and ElboObjective)
    /// with the `vi { ... }` settings; declaration and fitting mistakes come back before any training step.
    let fitVariational (settings: ViSettings) (policy: ComputePolicy) (data: BayesDL.Data.LabeledData) (d: ModelDecl) =
        fitWith (settings.ToOptions()) policy data d

    /// Builds and trains a model declared with `variational (dropout p)` (or with `Dropout.mc p` layers and no Bayesian
    /// layer) using the `mcDropout { ... }` settings through the core's `BuiltModel.FitMCDropout`: the dropout loss or the
    /// alpha-divergence, plus the length-scale prior when set. Its `samples` are for prediction:
    /// `fitted.Model.Predict(x, settings.Samples)`. Setting mistakes come back as InvalidParameter before any training step.
    let fitMCDropout (settings: MCDropoutSettings) (policy: ComputePolicy) (data: BayesDL.Data.LabeledData) (d: ModelDecl) =
        let options = settings.ToOptions()
        validate d
        // The core decides what an MC dropout model is (SequentialBuilder.IsMCDropout) and checks the settings.
        |> Result.bind (fun () -> (toBuilder d).ValidateMCDropoutFit options |> BayesError.ofReport)
        |> Result.bind (fun () -> buildOn policy d)
        |> Result.bind (train (fun core -> core.FitMCDropout(data, options)))

    /// Fits several MC dropout models at once (the core's `SequentialBuilder.FitMCDropoutReplicas`): each (declaration, data)
    /// pair is one replica with its own dropout rate, fixed Gaussian noise and rows, all of one architecture and row count,
    /// trained as one batched computation with the `mcDropout { ... }` settings: each fit is what `fitMCDropout` makes of it
    /// alone, up to its random stream. For a grid of dropout rates or many data splits of a small network. The fitted models
    /// come back in order, each with the joint run's epochs (their loss the sum over the replicas); mistakes come back as an
    /// Error before any step.
    let fitMCDropoutReplicas (settings: MCDropoutSettings) (policy: ComputePolicy) (replicas: (ModelDecl * BayesDL.Data.LabeledData) list) =
        let options = settings.ToOptions()
        replicas
        |> List.map (fun (d, _) -> validate d)
        |> List.tryPick (function Error e -> Some e | Ok () -> None)
        |> function
            | Some e -> Error e
            | None ->
                BayesError.ofCore (fun () ->
                    let cores = replicas |> List.map (fun (d, data) -> MCDropoutReplica(toBuilder d, data)) |> Array.ofList
                    let fitted = SequentialBuilder.FitMCDropoutReplicas(cores, options, policy)
                    let epochs = fitted.Epochs |> Seq.map summary |> List.ofSeq
                    List.zip (List.ofSeq fitted.Models) replicas
                    |> List.map (fun (core, (d, _)) ->
                        { Model = { Core = core; InputShape = List.ofArray core.InputShape; OutputShape = List.ofArray core.OutputShape
                                    Declaration = d }
                          Epochs = epochs }))

    /// MC dropout with its dropout rate and noise sd chosen on held-out rows (the core's `SequentialBuilder.SearchMCDropout`,
    /// Gal & Ghahramani's UCI protocol): 20% of `data` held out, the declared network fitted with MC dropout of each rate in
    /// `rates` (empty: the core's 0.005, 0.01, 0.05, 0.1) on the rest with the `mcDropout { ... }` settings, every (rate, noise sd
    /// of `noiseSds`, on the targets' scale) scored by the held-out rows' mixture log-likelihood over `samples` masks, and the best
    /// pair refitted on all of `data`. The declaration's likelihood and family are replaced by that Gaussian and MC dropout (the
    /// fitted model's declaration says so). Returns the refitted model and the choice; mistakes come back as an Error.
    let tuneMCDropout (settings: MCDropoutSettings) (policy: ComputePolicy) (rates: float list) (noiseSds: float list)
                      (data: BayesDL.Data.LabeledData) (d: ModelDecl) =
        // The likelihood is the search's own (a Gaussian per noise sd): a declaration without one is complete.
        let d = { d with Likelihood = d.Likelihood |> Option.orElse (Some(Likelihoods.Gaussian 1.0)) }
        validate d
        |> Result.bind (fun () ->
            BayesError.ofCore (fun () ->
                let grid = if rates.IsEmpty then MCDropoutGridSearchOptions.DefaultDropoutRates else Array.ofList rates
                let options = MCDropoutGridSearchOptions(settings.ToOptions(), grid, Samples = settings.Samples)
                use search = (toBuilder d).SearchMCDropout([| data |], options, policy)
                let chosen = search.Choose(Array.ofList noiseSds).[0]
                let refit = search.Refit [| chosen |]
                let core = refit.Models[0]
                let declared =
                    { d with Likelihood = Some(Likelihoods.Gaussian chosen.NoiseSd); Family = VariationalFamily.Dropout chosen.DropoutRate }
                { Model = { Core = core; InputShape = List.ofArray core.InputShape; OutputShape = List.ofArray core.OutputShape
                            Declaration = declared }
                  Epochs = refit.Epochs |> Seq.map summary |> List.ofSeq },
                chosen))

    /// Saves the fitted network (layers, likelihood, trained posterior) to `path` through the core's ModelFile
    /// (written atomically: a temporary file renamed over the target). The declaration and the epochs are not stored.
    /// An unwritable path comes back as ModelFileError (every layer a `model { ... }` declares can be saved).
    let save (path: string) (fitted: FittedModel) : Result<unit, BayesError> =
        try
            BayesDL.Models.ModelFile.Save(fitted.Model.Core.Network, path)
            Ok()
        // The core's one file error: a missing folder, no write permission, a full disk.
        with :? BayesDL.Validation.FileFormatException as e -> Error(ModelFileError(path, e.Message))

    /// Loads a model written by `Model.save` (or the core's ModelFile.Save) under `policy`. Every file the core refuses (its
    /// FileFormatException: missing, not a BayesDL model, truncated or corrupt, an unsupported format version, weights of another
    /// architecture, NaN weights) comes back as ModelFileError naming the file.
    let load (path: string) (policy: ComputePolicy) : Result<LoadedModel, BayesError> =
        try
            let network = BayesDL.Models.ModelFile.Load(path, policy)
            Ok { Network = network; Input = Option.ofObj (BayesDL.Models.NetworkInput.Of network); Path = path }
        // The core's one file error: missing, truncated, corrupt, of a newer version, weights of another architecture or not finite.
        with :? BayesDL.Validation.FileFormatException as e -> Error(ModelFileError(path, e.Message))
