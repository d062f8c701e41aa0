/// Simulation-based calibration from F#: `sbc { replications 1000; draws 99; thinning 2; bins 20; seed 1L }` declares the
/// run, `Sbc.run settings model sampler` runs the core's `Sbc.Run` (Talts et al. 2018) and returns its result or the core's
/// message as an error. Samplers: `Sbc.nuts`, `Sbc.hmc` (settings from `mcmc { }`/`nuts { }`, a target per data set),
/// `Sbc.gaussian` (an approximation fitted per data set), `Sbc.sgmcmc` (SGLD or SGHMC over a network's weights, `sgmcmc { }`),
/// `Sbc.ofFunction` (anything else).
namespace BayesDL.Dsl

open System
open BayesDL.Calibration
open BayesDL.Mcmc

/// Builder of `sbc { ... }`: the core's SbcOptions, field by field.
type SbcBuilder() =
    member _.Yield(()) = SbcOptions()
    member _.Zero() = SbcOptions()
    [<CustomOperation "replications">]
    member _.Replications(s: SbcOptions, n: int) = SbcOptions(n, s.Draws, s.Thinning, s.Bins, s.Seed)
    [<CustomOperation "draws">]
    member _.Draws(s: SbcOptions, l: int) = SbcOptions(s.Replications, l, s.Thinning, s.Bins, s.Seed)
    [<CustomOperation "thinning">]
    member _.Thinning(s: SbcOptions, k: int) = SbcOptions(s.Replications, s.Draws, k, s.Bins, s.Seed)
    [<CustomOperation "bins">]
    member _.Bins(s: SbcOptions, b: int) = SbcOptions(s.Replications, s.Draws, s.Thinning, b, s.Seed)
    [<CustomOperation "seed">]
    member _.Seed(s: SbcOptions, seed: int64) = SbcOptions(s.Replications, s.Draws, s.Thinning, s.Bins, seed)

[<AutoOpen>]
module SbcBuilders =
    /// `sbc { ... }` declares a simulation-based calibration run.
    let sbc = SbcBuilder()

/// Models, samplers and the run.
[<RequireQualifiedAccess>]
module Sbc =
    /// Bayesian linear regression with known noise on fixed inputs x [N, D] (w ~ N(0, priorStd^2 I), y = X w + e).
    let linearRegression (noiseStd: float) (priorStd: float) (x: TorchSharp.torch.Tensor) =
        SbcModel.BayesianLinearRegression(x, noiseStd, priorStd)

    /// A model from parameter names, the data shape, a prior sampler and a simulator theta -> y.
    let model (name: string) (parameters: string list) (dataShape: int64 list) (prior: unit -> TorchSharp.torch.Tensor) simulate =
        SbcModel(name, List.toArray parameters, List.toArray dataShape, Func<_> prior, Func<_, _> simulate)

    /// NUTS or static HMC (as `settings` says) on the target `target y` builds for each simulated data set.
    let sampler (settings: McmcSettings) (target: TorchSharp.torch.Tensor -> LogDensity) =
        match settings.Algorithm with
        | Nuts -> PosteriorSamplers.Nuts(Func<_, _> target, settings.ToOptions())
        | StaticHmc -> PosteriorSamplers.Hmc(Func<_, _> target, settings.ToOptions())

    /// A Gaussian approximation fitted to each data set (variational, Laplace or exact), sampled independently.
    let gaussian (name: string) (fit: TorchSharp.torch.Tensor -> BayesDL.Inference.GaussianPosterior) =
        PosteriorSamplers.Gaussian(name, Func<_, _> fit)

    /// Stochastic-gradient MCMC (`sgmcmc { sampler sgld; stepDecay 0.55; ... }`) over the weights of `network` (a FunctionalNetwork)
    /// under `likelihood` on the fixed inputs: asked for M draws it runs M chains side by side and returns each chain's final
    /// weights, M independent draws (so run it with `thinning 1`).
    let sgmcmc (options: SgmcmcOptions) (network: BayesDL.Networks.FunctionalNetwork) (likelihood: BayesDL.Predictive.Likelihood)
        (inputs: TorchSharp.torch.Tensor) =
        PosteriorSamplers.Sgmcmc(network, likelihood, inputs, options)

    /// Any method as a function data -> count -> seed -> draws [count, D].
    let ofFunction (name: string) (draw: TorchSharp.torch.Tensor -> int -> int64 -> TorchSharp.torch.Tensor) =
        PosteriorSamplers.FromFunction(name, Func<_, _, _, _>(fun y n s -> draw y n s))

    /// Runs SBC; bad settings, a simulator of the wrong shape or draws of the wrong shape are InvalidParameter errors with
    /// the core's message (naming the component, both shapes and the replication).
    let run (settings: SbcOptions) (model: SbcModel) (sampler: IPosteriorSampler) : Result<SbcResult, BayesError> =
        try Ok(Sbc.Run(model, sampler, settings)) with :? ArgumentException as e -> Error(InvalidParameter("sbc", e.Message))
