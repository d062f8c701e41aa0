/// Inference settings as computation expressions: `vi { elbo analyticKL; samples 1; klWarmup 5; epochs 10 }`
/// and `mcDropout { samples 100 }`. They produce plain records.
[<AutoOpen>]
module BayesDL.Dsl.Inference

/// How the ELBO's KL(q || p) term is computed.
type KLTerm =
    /// In closed form through the KL registry (an UnregisteredKL error before training when a pair has none).
    | AnalyticKL
    /// Closed form where registered, Monte Carlo where not (Bayesian layers: their KL sample count; VAE: the
    /// ELBO's z draws).
    | MonteCarloKL

/// KL in closed form.
let analyticKL = AnalyticKL
/// KL by Monte Carlo where no closed form exists.
let monteCarloKL = MonteCarloKL

/// The core's checkpoint options for `checkpoint "path"` (every epoch, resume when the file exists); null for None.
let internal checkpointOptions (path: string option) =
    match path with
    | Some p -> BayesDL.Training.CheckpointOptions(p)
    | None -> null

/// Variational-inference settings.
type ViSettings =
    { KL: KLTerm
      /// Weight samples per training step.
      Samples: int
      /// Epochs over which the KL weight rises linearly from 0 to 1 (0: no warm-up).
      KLWarmupEpochs: int
      Epochs: int
      BatchSize: int
      LearningRate: float
      Seed: int64
      /// Checkpoint file: written atomically after every epoch, resumed from when it exists (None: no checkpoint).
      Checkpoint: string option }

    /// The core's defaults (VariationalFitOptions()), no checkpoint.
    static member Default =
        let o = BayesDL.Builders.VariationalFitOptions()
        { KL = (if o.AnalyticKL then AnalyticKL else MonteCarloKL); Samples = o.WeightSamples; KLWarmupEpochs = o.KLWarmupEpochs
          Epochs = o.Epochs; BatchSize = o.BatchSize; LearningRate = o.LearningRate; Seed = o.Seed; Checkpoint = None }

    /// The core's fit options these settings stand for.
    member s.ToOptions() =
        BayesDL.Builders.VariationalFitOptions(s.Epochs, s.BatchSize, s.LearningRate, s.Seed, s.Samples,
                                               s.KLWarmupEpochs, (s.KL = AnalyticKL),
                                               checkpointOptions s.Checkpoint)

/// MC-dropout settings: training (the dropout loss, or the alpha-divergence of Li & Gal 2017 with `alpha`, plus the
/// length-scale prior of Gal & Ghahramani 2016 with `lengthScale`), then T = `samples` stochastic passes at prediction.
/// Unset options (None) keep the plain dropout loss without a prior; the benchmarks' recipe is
/// `mcDropout { lengthScale 1.5; alpha 0.5; trainingMasks 10 }`.
type MCDropoutSettings =
    { Samples: int
      Epochs: int
      BatchSize: int
      LearningRate: float
      Seed: int64
      /// Prior length-scale l: weight decay l^2 (1 - p) / (2N) on each weight layer; None: no prior.
      LengthScale: float option
      /// alpha > 0 of the alpha-divergence data term; None: the plain dropout loss.
      Alpha: float option
      /// K, dropout masks per example in the alpha-divergence term; None: the core's default (10).
      TrainingMasks: int option
      /// Checkpoint file: written atomically after every epoch, resumed from when it exists (None: no checkpoint).
      Checkpoint: string option }

    /// The core's training defaults (MCDropoutFitOptions()), 100 stochastic passes at prediction, no checkpoint.
    static member Default =
        let o = BayesDL.Builders.MCDropoutFitOptions()
        { Samples = 100; Epochs = o.Epochs; BatchSize = o.BatchSize; LearningRate = o.LearningRate; Seed = o.Seed
          LengthScale = Option.ofNullable o.LengthScale; Alpha = Option.ofNullable o.Alpha; TrainingMasks = None; Checkpoint = None }

    /// The core's options for training the dropout network.
    member s.ToOptions() =
        let defaults = BayesDL.Builders.MCDropoutFitOptions()
        BayesDL.Builders.MCDropoutFitOptions(
            s.Epochs, s.BatchSize, s.LearningRate, s.Seed, Option.toNullable s.LengthScale, Option.toNullable s.Alpha,
            defaultArg s.TrainingMasks defaults.TrainingMasks, checkpointOptions s.Checkpoint)

/// Builder of `vi { ... }`.
type ViBuilder() =
    member _.Yield(()) = ViSettings.Default
    member _.Zero() = ViSettings.Default
    [<CustomOperation "elbo">]
    member _.Elbo(s: ViSettings, kl: KLTerm) = { s with KL = kl }
    [<CustomOperation "samples">]
    member _.Samples(s: ViSettings, n: int) = { s with Samples = n }
    [<CustomOperation "klWarmup">]
    member _.KLWarmup(s: ViSettings, epochs: int) = { s with KLWarmupEpochs = epochs }
    [<CustomOperation "epochs">]
    member _.Epochs(s: ViSettings, n: int) = { s with Epochs = n }
    [<CustomOperation "batchSize">]
    member _.BatchSize(s: ViSettings, n: int) = { s with BatchSize = n }
    [<CustomOperation "learningRate">]
    member _.LearningRate(s: ViSettings, rate: float) = { s with LearningRate = rate }
    [<CustomOperation "seed">]
    member _.Seed(s: ViSettings, seed: int64) = { s with Seed = seed }
    /// `checkpoint "run.ckpt"`: checkpoint the fit after every epoch; a rerun resumes exactly where it stopped.
    [<CustomOperation "checkpoint">]
    member _.Checkpoint(s: ViSettings, path: string) = { s with Checkpoint = Some path }

/// Builder of `mcDropout { ... }`.
type MCDropoutBuilder() =
    member _.Yield(()) = MCDropoutSettings.Default
    member _.Zero() = MCDropoutSettings.Default
    [<CustomOperation "samples">]
    member _.Samples(s: MCDropoutSettings, n: int) = { s with Samples = n }
    [<CustomOperation "epochs">]
    member _.Epochs(s: MCDropoutSettings, n: int) = { s with Epochs = n }
    [<CustomOperation "batchSize">]
    member _.BatchSize(s: MCDropoutSettings, n: int) = { s with BatchSize = n }
    [<CustomOperation "learningRate">]
    member _.LearningRate(s: MCDropoutSettings, rate: float) = { s with LearningRate = rate }
    [<CustomOperation "seed">]
    member _.Seed(s: MCDropoutSettings, seed: int64) = { s with Seed = seed }
    /// `lengthScale 1.5`: the prior W ~ N(0, l^-2 I) as weight decay l^2 (1 - p) / (2N).
    [<CustomOperation "lengthScale">]
    member _.LengthScale(s: MCDropoutSettings, l: float) = { s with LengthScale = Some l }
    /// `alpha 0.5`: train with the alpha-divergence (Li & Gal 2017) instead of the plain dropout loss.
    [<CustomOperation "alpha">]
    member _.Alpha(s: MCDropoutSettings, alpha: float) = { s with Alpha = Some alpha }
    /// `trainingMasks 10`: K dropout masks per example in the alpha-divergence term.
    [<CustomOperation "trainingMasks">]
    member _.TrainingMasks(s: MCDropoutSettings, k: int) = { s with TrainingMasks = Some k }
    /// `checkpoint "run.ckpt"`: checkpoint the fit after every epoch; a rerun resumes exactly where it stopped.
    [<CustomOperation "checkpoint">]
    member _.Checkpoint(s: MCDropoutSettings, path: string) = { s with Checkpoint = Some path }

/// `vi { ... }` declares variational-inference settings.
let vi = ViBuilder()
/// `mcDropout { ... }` declares MC-dropout settings.
let mcDropout = MCDropoutBuilder()
