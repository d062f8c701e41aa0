/// The conditional VAE and the semi-supervised M2 as blocks:
/// `cvae { encoder ...; decoder ...; latent 2; classes 10 }` and `m2 { encoder ...; decoder ...; classifier ...; latent 50; classes 10 }`,
/// over the core's ConditionalVaeBuilder and SemiSupervisedVaeBuilder, fitted by the core's VaeFitting.
[<AutoOpen>]
module BayesDL.Dsl.ConditionalVaeDsl

open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Predictive
open TorchSharp

/// What a `cvae { ... }` block declares: a VAE whose encoder reads [x, one-hot y] and decoder [z, one-hot y].
type CvaeDecl =
    { Vae: VaeDecl
      Classes: int }

    static member Empty = { Vae = VaeDecl.Empty; Classes = 0 }

/// What an `m2 { ... }` block declares: the conditional VAE, the classifier q(y | x) and the weight alpha of its labelled term.
type M2Decl =
    { Cvae: CvaeDecl
      Classifier: Layer option
      Alpha: float }

    /// No classifier yet; alpha the core's default (SemiSupervisedVaeBuilder.DefaultAlpha).
    static member Empty = { Cvae = CvaeDecl.Empty; Classifier = None; Alpha = SemiSupervisedVaeBuilder.DefaultAlpha }

/// Builder of `cvae { ... }`.
type CvaeBuilderCE() =
    member _.Yield(()) = CvaeDecl.Empty
    member _.Zero() = CvaeDecl.Empty
    [<CustomOperation "encoder">]
    member _.Encoder(d: CvaeDecl, layers: Layer) = { d with Vae = { d.Vae with Encoder = Some layers } }
    [<CustomOperation "decoder">]
    member _.Decoder(d: CvaeDecl, layers: Layer) = { d with Vae = { d.Vae with Decoder = Some layers } }
    [<CustomOperation "latent">]
    member _.Latent(d: CvaeDecl, dimension: int) = { d with Vae = { d.Vae with Latent = Some(int64 dimension) } }
    [<CustomOperation "prior">]
    member _.Prior(d: CvaeDecl, prior: Prior) = { d with Vae = { d.Vae with Prior = Some prior } }
    [<CustomOperation "likelihood">]
    member _.Likelihood(d: CvaeDecl, likelihood: BayesDL.Predictive.LikelihoodSpec) =
        { d with Vae = { d.Vae with Likelihood = Some likelihood } }
    [<CustomOperation "classes">]
    member _.Classes(d: CvaeDecl, classes: int) = { d with Classes = classes }

/// Builder of `m2 { ... }`.
type M2BuilderCE() =
    let cvae = CvaeBuilderCE()
    member _.Yield(()) = M2Decl.Empty
    member _.Zero() = M2Decl.Empty
    [<CustomOperation "encoder">]
    member _.Encoder(d: M2Decl, layers: Layer) = { d with Cvae = cvae.Encoder(d.Cvae, layers) }
    [<CustomOperation "decoder">]
    member _.Decoder(d: M2Decl, layers: Layer) = { d with Cvae = cvae.Decoder(d.Cvae, layers) }
    [<CustomOperation "latent">]
    member _.Latent(d: M2Decl, dimension: int) = { d with Cvae = cvae.Latent(d.Cvae, dimension) }
    [<CustomOperation "prior">]
    member _.Prior(d: M2Decl, prior: Prior) = { d with Cvae = cvae.Prior(d.Cvae, prior) }
    [<CustomOperation "likelihood">]
    member _.Likelihood(d: M2Decl, likelihood: BayesDL.Predictive.LikelihoodSpec) = { d with Cvae = cvae.Likelihood(d.Cvae, likelihood) }
    [<CustomOperation "classes">]
    member _.Classes(d: M2Decl, classes: int) = { d with Cvae = cvae.Classes(d.Cvae, classes) }
    /// q(y | x): reads a data row, ends in one logit per class.
    [<CustomOperation "classifier">]
    member _.Classifier(d: M2Decl, layers: Layer) = { d with Classifier = Some layers }
    [<CustomOperation "alpha">]
    member _.Alpha(d: M2Decl, alpha: float) = { d with Alpha = alpha }

/// `cvae { ... }` declares a conditional VAE (Sohn et al. 2015).
let cvae = CvaeBuilderCE()
/// `m2 { ... }` declares the semi-supervised VAE M2 (Kingma et al. 2014).
let m2 = M2BuilderCE()

/// Validation, construction and training of conditional VAEs through the core's ConditionalVaeBuilder and VaeFitting.
module Cvae =
    /// The core declaration (what a C# user writes with `ModelBuilder.Vae(...).Conditional(classes)`).
    let toBuilder (d: CvaeDecl) : ConditionalVaeBuilder = (VaeDsl.Vae.toBuilder d.Vae).Conditional d.Classes

    /// Every mistake in the declaration, as one BayesError.
    let validate (d: CvaeDecl) : Result<unit, BayesError> =
        match d.Vae.Encoder, d.Vae.Decoder with
        | None, _ -> Error(Incomplete "The conditional VAE declares no encoder; add `encoder (linear 794L 400L >> Activation.relu)` \
                                       (it reads data features + classes).")
        | _, None -> Error(Incomplete "The conditional VAE declares no decoder; add `decoder (linear 12L 400L >> Activation.relu >> linear \
                                       400L 784L)` (it reads latent + classes).")
        | _ when d.Vae.Latent.IsNone ->
            Error(Incomplete "The conditional VAE declares no latent dimension; add `latent 2` (the decoder reads latent + classes).")
        | _ -> (toBuilder d).Validate() |> BayesError.ofReport

    /// Validates, then creates the conditional VAE under `policy`.
    let buildOn (policy: ComputePolicy) (d: CvaeDecl) : Result<ConditionalVae, BayesError> =
        validate d |> Result.bind (fun () -> BayesError.ofCore (fun () -> (toBuilder d).Build policy))

    /// Trains on labelled rows with the `vi { ... }` settings (as `Vae.fit`); mistakes come back before any step.
    let fit (settings: ViSettings) (data: BayesDL.Data.LabeledData) (model: ConditionalVae) : Result<VaeFit, BayesError> =
        let options = settings.ToOptions()
        VaeFitting.ValidateFit(model.Model, data.Inputs, options)
        |> BayesError.ofReport
        |> Result.bind (fun () -> BayesError.ofCore (fun () -> { EpochLosses = VaeFitting.Fit(model, data, options) |> List.ofSeq }))

/// Validation, construction and training of M2 through the core's SemiSupervisedVaeBuilder and VaeFitting.
module M2 =
    /// The core declaration (what a C# user writes with `ModelBuilder.Vae(...).Conditional(classes).SemiSupervised(classifier)`).
    let toBuilder (d: M2Decl) : SemiSupervisedVaeBuilder =
        (Cvae.toBuilder d.Cvae).SemiSupervised((defaultArg d.Classifier id) (ModelBuilder.Sequential()), d.Alpha)

    /// Every mistake in the declaration, as one BayesError.
    let validate (d: M2Decl) : Result<unit, BayesError> =
        match d.Classifier with
        | None -> Error(Incomplete "The M2 model declares no classifier; add `classifier (linear 784L 400L >> \
                                    Activation.relu >> linear 400L 10L)`.")
        | Some _ -> Cvae.validate d.Cvae |> Result.bind (fun () -> (toBuilder d).Validate() |> BayesError.ofReport)

    /// Validates, then creates M2 under `policy`.
    let buildOn (policy: ComputePolicy) (d: M2Decl) : Result<SemiSupervisedVae, BayesError> =
        validate d |> Result.bind (fun () -> BayesError.ofCore (fun () -> (toBuilder d).Build policy))

    /// Trains on `labelled` rows with labels and `unlabelled` rows with the `vi { ... }` settings (one z draw, no warm-up).
    let fit (settings: ViSettings) (labelled: BayesDL.Data.LabeledData) (unlabelled: torch.Tensor) (model: SemiSupervisedVae)
            : Result<VaeFit, BayesError> =
        let options = settings.ToOptions()
        VaeFitting.ValidateFit(model, unlabelled, options)
        |> BayesError.ofReport
        |> Result.bind (fun () ->
            BayesError.ofCore (fun () -> { EpochLosses = VaeFitting.Fit(model, labelled, unlabelled, options) |> List.ofSeq }))
