/// The `vae { encoder ...; decoder ...; latent 20; prior (Normal(0., 1.)) }` builder over the core's VaeBuilder,
/// and training by the core's VAE objective and loop.
[<AutoOpen>]
module BayesDL.Dsl.VaeDsl

open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Predictive
open TorchSharp

/// What a `vae { ... }` block declares.
type VaeDecl =
    { Encoder: Layer option
      Decoder: Layer option
      /// The latent dimension D; None until `latent D` declares it (the core has no default: it must be chosen).
      Latent: int64 option
      /// The prior p(z); None: the core's default (N(0, I)).
      Prior: Prior option
      /// The observation model p(x | z); None: the core's default (Bernoulli pixels).
      Likelihood: BayesDL.Predictive.LikelihoodSpec option }

    /// No networks and no latent dimension yet; the core's prior and likelihood.
    static member Empty = { Encoder = None; Decoder = None; Latent = None; Prior = None; Likelihood = None }

/// The outcome of `Vae.fit`: the mean training loss of every epoch (nats per example).
type VaeFit = { EpochLosses: float list }

/// Builder of `vae { ... }`.
type VaeBuilderCE() =
    member _.Yield(()) = VaeDecl.Empty
    member _.Zero() = VaeDecl.Empty
    [<CustomOperation "encoder">]
    member _.Encoder(d: VaeDecl, layers: Layer) = { d with Encoder = Some layers }
    [<CustomOperation "decoder">]
    member _.Decoder(d: VaeDecl, layers: Layer) = { d with Decoder = Some layers }
    [<CustomOperation "latent">]
    member _.Latent(d: VaeDecl, dimension: int) = { d with Latent = Some(int64 dimension) }
    [<CustomOperation "prior">]
    member _.Prior(d: VaeDecl, prior: Prior) = { d with Prior = Some prior }
    [<CustomOperation "likelihood">]
    member _.Likelihood(d: VaeDecl, likelihood: BayesDL.Predictive.LikelihoodSpec) = { d with Likelihood = Some likelihood }

/// `vae { ... }` declares a variational autoencoder.
let vae = VaeBuilderCE()

/// Validation, construction and training, through the core's VaeBuilder, Vae and VaeFitting (the one training loop).
module Vae =
    /// The core declaration (what a C# user writes with ModelBuilder.Vae). An undeclared latent dimension reaches the
    /// core as 0, which its validation refuses (`validate` names the fix first).
    let toBuilder (d: VaeDecl) : VaeBuilder =
        let net layers = (defaultArg layers id) (ModelBuilder.Sequential())
        let b = ModelBuilder.Vae(net d.Encoder, net d.Decoder, defaultArg d.Latent 0L)
        let b = match d.Likelihood with Some l -> b.WithLikelihood l | None -> b
        match d.Prior with
        | Some prior -> b.WithPrior(fun dim policy -> Prior.distribution prior dim policy)
        | None -> b

    /// Every mistake in the declaration, as one BayesError.
    let validate (d: VaeDecl) : Result<unit, BayesError> =
        match d.Encoder, d.Decoder with
        | None, _ -> Error(Incomplete "The VAE declares no encoder; add `encoder (linear 784L 400L >> Activation.relu)`.")
        | _, None ->
            Error(Incomplete "The VAE declares no decoder; add `decoder (linear 20L 400L >> Activation.relu >> linear 400L 784L)`.")
        | _ when d.Latent.IsNone ->
            Error(Incomplete "The VAE declares no latent dimension; add `latent 20` (the decoder's input width).")
        | _ -> (toBuilder d).Validate() |> BayesError.ofReport

    /// Validates, then creates the VAE under `policy`.
    let buildOn (policy: ComputePolicy) (d: VaeDecl) : Result<Vae, BayesError> =
        validate d |> Result.bind (fun () -> BayesError.ofCore (fun () -> (toBuilder d).Build policy))

    /// Validates, then creates the VAE under the default policy.
    let build (d: VaeDecl) = buildOn ComputePolicy.Default d

    /// Trains by maximising the ELBO over rows of `data` ([N, features]) with the `vi { ... }` settings through the core's
    /// VaeFitting: epochs, batch size, learning rate, seed; `samples` z draws per example (which also estimate the KL where
    /// it is Monte Carlo); KL warm-up over `klWarmup` epochs. `analyticKL` requires the (posterior, prior) pair in the KL
    /// registry: otherwise an UnregisteredKL error before any step.
    let fit (settings: ViSettings) (data: torch.Tensor) (model: Vae) : Result<VaeFit, BayesError> =
        let options = settings.ToOptions()
        VaeFitting.ValidateFit(model, data, options)
        |> BayesError.ofReport
        |> Result.bind (fun () -> BayesError.ofCore (fun () -> { EpochLosses = VaeFitting.Fit(model, data, options) |> List.ofSeq }))

    /// Saves the VAE (encoder, Gaussian head, decoder, decoder likelihood) to `path` through the core's `ModelFile.SaveVae`
    /// (written atomically). A file error comes back as ModelFileError; a VAE with a prior other than N(0, I), which a file
    /// cannot describe, as InvalidParameter (nothing is written).
    let save (path: string) (model: Vae) : Result<unit, BayesError> =
        BayesError.ofModelFile path (fun () -> BayesDL.Models.ModelFile.SaveVae(model, path))

    /// Loads a VAE written by `Vae.save` (or `bayesdl train --method vae`) under `policy`, in evaluation mode. Every file the
    /// core refuses (missing, not a model, corrupt, a network's or an ensemble's file) comes back as ModelFileError naming the file.
    let load (path: string) (policy: ComputePolicy) : Result<Vae, BayesError> =
        BayesError.ofModelFile path (fun () -> BayesDL.Models.ModelFile.LoadVae(path, policy))

    /// Validates, then creates the deterministic autoencoder with the same networks under `policy` (the prior is unused).
    let buildAutoencoderOn (policy: ComputePolicy) (d: VaeDecl) : Result<Autoencoder, BayesError> =
        validate d |> Result.bind (fun () -> BayesError.ofCore (fun () -> (toBuilder d).BuildAutoencoder policy))

    /// Trains an autoencoder on the rows of `data` by minimising the reconstruction loss (epochs, batch size, learning rate, seed).
    let fitAutoencoder (settings: ViSettings) (data: torch.Tensor) (model: Autoencoder) : Result<VaeFit, BayesError> =
        let options = settings.ToOptions()
        BayesError.ofCore (fun () -> { EpochLosses = VaeFitting.Fit(model, data, options) |> List.ofSeq })
