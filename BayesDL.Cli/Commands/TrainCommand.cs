using System.ComponentModel;
using System.Globalization;
using BayesDL.Builders;
using BayesDL.Cli.Training;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Mcmc;
using BayesDL.Models;
using BayesDL.Networks;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Swag;
using BayesDL.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace BayesDL.Cli.Commands;

/// <summary>
/// <c>bayesdl train --method vi|mcdropout|ensemble|vae|laplace|swag|sgmcmc --network 784-400-400-10 (--images F --labels F |
/// --csv F --target COL --task T) --output MODEL</c>: declares the network with the builders, fits it with the method's library fit
/// and saves it as a <see cref="ModelFile"/> (a network for vi and mcdropout, a deep ensemble, a VAE, a Laplace, SWAG or SG-MCMC
/// posterior), which <c>predict</c>, <c>evaluate</c> and <c>sample</c> read without further options. Every method is checkpointed
/// through the core (<see cref="CheckpointOptions"/>, written atomically after every epoch to <c>--checkpoint</c>, default MODEL.ckpt;
/// an ensemble's one file holds all its members): the first Ctrl+C finishes the epoch under way, keeps the checkpoint and exits 130,
/// and <c>--resume</c> continues from it, ending bitwise identical to an uninterrupted run.
/// </summary>
public sealed class TrainCommand(IAnsiConsole console) : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--method <METHOD>")]
        [Description("vi (Bayes by Backprop), mcdropout, ensemble, vae, laplace (post-hoc last-layer KFAC Laplace of a " +
                     "maximum-likelihood network, evidence-tuned prior), swag or sgmcmc (a maximum-likelihood network, then SWAG " +
                     "or SGHMC over the last quarter of the epochs). Default vi.")]
        public string? Method { get; init; }

        [CommandOption("--images <FILE>")]
        [Description("Training images, IDX (gzipped or not), with --labels.")]
        public string? Images { get; init; }

        [CommandOption("--labels <FILE>")]
        [Description("Training labels, IDX, one class per image.")]
        public string? Labels { get; init; }

        [CommandOption("--csv <FILE>")]
        [Description("Training data as a CSV table (header row unless --no-header), with --target and --task.")]
        public string? Csv { get; init; }

        [CommandOption("--target <COLUMN>")]
        [Description("The CSV's target column: its header name or 0-based index; the other columns are inputs.")]
        public string? Target { get; init; }

        [CommandOption("--task <TASK>")]
        [Description("classification (class indices 0..C-1) or regression (numbers) for CSV data.")]
        public string? Task { get; init; }

        [CommandOption("--splits <FILE>")]
        [Description("With --csv and --split: a splits file of the UCI layout (data/uci/NAME.splits.json); trains on split K's " +
                     "training rows only.")]
        public string? Splits { get; init; }

        [CommandOption("--split <K>")]
        [Description("The split (0-based) of --splits whose training rows are used.")]
        public int? Split { get; init; }

        [CommandOption("--tune")]
        [Description("mcdropout regression: choose the dropout rate (0.005, 0.01, 0.05, 0.1) and the noise sd on 20% of the " +
                     "training rows held out, prior length-scale 0.01 (Gal & Ghahramani's UCI protocol), then refit on all rows. " +
                     "The network ends in 1 output.")]
        public bool Tune { get; init; }

        [CommandOption("--no-header")]
        [Description("The CSV has no header row.")]
        public bool NoHeader { get; init; }

        [CommandOption("--no-standardize")]
        [Description("Train on the CSV's columns as given. By default every input column (and a regression target) is " +
                     "standardised by the training rows' mean and sd, kept in the model file; not under vae or --init-from.")]
        public bool NoStandardize { get; init; }

        [CommandOption("--network <SPEC>")]
        [Description("Layer widths, input first: 784-400-400-10. Regression: 2 outputs (mean and scale), 1 for laplace " +
                     "(one noise sd, tuned). vae: the encoder's widths ending in the latent size, 784-400-20.")]
        public string? Network { get; init; }

        [CommandOption("--activation <NAME>")]
        [ActivationsDescription]
        public string? Activation { get; init; }

        [CommandOption("--weight-init <NAME>")]
        [Description("How the deterministic layers' weights start: torch (TorchSharp's own, the default), glorot-uniform " +
                     "(Keras's default, zero biases) or he-normal. Not for vi.")]
        public string? WeightInit { get; init; }

        [CommandOption("--dropout <P>")]
        [Description("MC dropout rate before every weight layer (mcdropout only). Default 0.1.")]
        public double? Dropout { get; init; }

        [CommandOption("--members <M>")]
        [Description("Ensemble members (ensemble only). Default 5.")]
        public int? Members { get; init; }

        [CommandOption("--config <FILE>")]
        [Description("A JSON file of these training options; options given here override it.")]
        public string? Config { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Passes over the data. Default 10.")]
        public int? Epochs { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Rows per minibatch. Default 128.")]
        public int? BatchSize { get; init; }

        [CommandOption("--lr <RATE>")]
        [Description("Adam's learning rate. Default 0.001.")]
        public double? LearningRate { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Random seed (initial weights, shuffling, noise). Default 2026.")]
        public long? Seed { get; init; }

        [CommandOption("--checkpoint <FILE>")]
        [Description("Checkpoint written after every epoch (default MODEL.ckpt, removed when training ends).")]
        public string? Checkpoint { get; init; }

        [CommandOption("--resume")]
        [Description("Continue from the checkpoint of an interrupted run (same data and options).")]
        public bool Resume { get; init; }

        [CommandOption("--init-from <FILE>")]
        [Description("Start from a PyTorch state dict of the same layers (torch.save(model.state_dict(), FILE)); vi and mcdropout. " +
                     "Under vi its weights become the posterior means.")]
        public string? InitFrom { get; init; }

        [CommandOption("--moped-delta <D>")]
        [Description("With --init-from and --method vi: posterior scales sigma = D |w| (MOPED), e.g. 0.1. " +
                     "Default: the usual initial scales.")]
        public double? MopedDelta { get; init; }

        [CommandOption("--output <MODEL>")]
        [Description("The trained model's file.")]
        public string? Output { get; init; }

        [CommandOption("--quiet")]
        [Description("No progress output.")]
        public bool Quiet { get; init; }

        /// <summary>The options in effect: the config file's, overridden by those given on the command line.</summary>
        internal TrainOptions Options()
        {
            var o = Config is null ? new TrainOptions() : TrainOptions.FromFile(Config);
            return o with
            {
                Method = Method ?? o.Method,
                Task = Task ?? o.Task,
                Network = Network ?? o.Network,
                Activation = Activation ?? o.Activation,
                Dropout = Dropout ?? o.Dropout,
                Members = Members ?? o.Members,
                Epochs = Epochs ?? o.Epochs,
                BatchSize = BatchSize ?? o.BatchSize,
                LearningRate = LearningRate ?? o.LearningRate,
                Seed = Seed ?? o.Seed,
                Tune = Tune || o.Tune,
                WeightInit = WeightInit ?? o.WeightInit,
            };
        }
    }

    /// <summary>
    /// A method's fit: <c>Run(resume, onEpoch)</c> trains every epoch through the checkpoint (resuming from it when asked), calling
    /// <c>onEpoch</c> after each epoch's checkpoint is written; <c>Save</c> writes the trained model; <c>Epochs</c> counts the epochs
    /// of the whole fit (an ensemble's members one after the other).
    /// </summary>
    sealed record MethodFit(Action<bool, Action<EpochLine>> Run, Action<string> Save, IDisposable Model, int Epochs);

    /// <summary>Thrown from the epoch callback after Ctrl+C: the fit stops once the epoch under way and its checkpoint are done.</summary>
    sealed class StopAfterEpoch : Exception;

    /// <summary>Runs a disposal decided once the fit has made its model.</summary>
    sealed class Deferred(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var options = settings.Options();
        options.Validate();
        if (settings.Output is null)
            throw new InputException("--output is missing: name the file for the trained model, e.g. --output model.bnn.");
        RequireFolder("--output", settings.Output);
        string checkpoint = settings.Checkpoint ?? settings.Output + ".ckpt";
        if (settings.Checkpoint is not null) RequireFolder("--checkpoint", checkpoint);
        if (settings.Resume && !File.Exists(checkpoint))
            throw new InputException($"--resume: no checkpoint at {checkpoint}" +
                                     (settings.Checkpoint is null ? " (the default, --output + .ckpt)" : "") +
                                     "; train without --resume to start afresh, or name the checkpoint with --checkpoint FILE.");
        CheckInitialisation(settings, options.Method);
        if (settings.NoStandardize && settings.Csv is null)
            throw new InputException("--no-standardize applies to --csv data; IDX images are pixels / 255 and never standardised.");
        if (options.Tune && (settings.NoStandardize || settings.InitFrom is not null || settings.Resume))
            throw new InputException(
                (settings.NoStandardize ? "--no-standardize" : settings.InitFrom is not null ? "--init-from" : "--resume") +
                " with --tune: the tuned fit starts afresh on standardised rows (its noise grid is in target sds) " +
                "and is not checkpointed; leave it out.");
        var policy = ComputePolicy.Default;
        var (data, classification, scaling) = TrainingData.Load(settings.Images, settings.Labels, settings.Csv, settings.Target,
            options.Method == "vae" ? "classification" : options.Task, !settings.NoHeader,
            // A VAE's Bernoulli decoder models the data themselves in [0, 1]; pretrained weights (--init-from) expect the inputs
            // they were trained on: neither is standardised.
            standardize: !settings.NoStandardize && options.Method != "vae" && settings.InitFrom is null, policy, settings.Splits,
            settings.Split);
        using (data)
        {
            long[] widths = options.Widths();
            CheckShapes(options, widths, data, classification);
            string what = options.Method == "ensemble"
                ? $"ensemble {options.Network} ({options.Members} members)"
                : $"{options.Method} {options.Network}";
            var fit = options.Tune
                ? PrepareTuned(options, widths, data, scaling!, policy, console.Profile.Out.Writer.WriteLine)
                : Prepare(options, widths, data, classification, scaling, checkpoint, policy,
                    settings.InitFrom is null ? null : (settings.InitFrom, settings.MopedDelta));
            var progress = new EpochProgress(console, settings.Quiet, data.Count, fit.Epochs);
            using (fit.Model)
            using (var interruption = new Interruption(() => Console.Error.WriteLine(
                       "Ctrl+C: finishing this epoch and writing the checkpoint " +
                       "(press Ctrl+C again to stop at once, losing this epoch).")).Listen())
            {
                int done = 0;
                bool stopped = false;
                progress.Run(what, 1, report =>
                {
                    // Wall time of the whole step, checkpoint included: what rows per second and the ETA should reflect.
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    try
                    {
                        fit.Run(settings.Resume, line =>
                        {
                            if (settings.Resume && done == 0 && !settings.Quiet)
                                console.Profile.Out.Writer.WriteLine($"resumed from {checkpoint} after epoch {line.Epoch - 1}");
                            done = line.Epoch;
                            report(line with { Seconds = clock.Elapsed.TotalSeconds });
                            clock.Restart();
                            if (interruption.Requested && done < fit.Epochs) throw new StopAfterEpoch();
                        });
                    }
                    catch (StopAfterEpoch)
                    {
                        stopped = true;
                    }
                });
                if (stopped)
                {
                    string rerun = string.Join(" ", context.Arguments.Select(Quote));
                    if (!settings.Resume) rerun += " --resume";
                    Console.Error.WriteLine($"Interrupted after epoch {done} of {fit.Epochs}; the checkpoint is {checkpoint}. " +
                                            $"Continue with: bayesdl {rerun}");
                    return Interruption.ExitCode;
                }
                fit.Save(settings.Output);
            }
            if (settings.Checkpoint is null) File.Delete(checkpoint);
            string scaled = scaling is null ? ""
                : $"; inputs{(classification ? "" : " and target")} standardised by these rows' mean and sd, kept in the file";
            console.Profile.Out.Writer.WriteLine(
                $"saved {settings.Output} ({what}, {options.Epochs} epochs on {data.Count} rows{scaled}).");
            return ExitCodes.Success;
        }
    }

    /// <summary><c>--init-from</c> for the methods of one network, <c>--moped-delta</c> only with it under vi, a positive delta.</summary>
    static void CheckInitialisation(Settings settings, string method)
    {
        if (settings.InitFrom is { } file && method is not ("vi" or "mcdropout"))
        {
            string why = method == "ensemble" ? "members would all start alike" : "has no such network";
            throw new InputException($"--init-from {file}: a state dict initialises one network, so it applies to --method vi or " +
                                     $"mcdropout; {method} {why}.");
        }
        if (settings.MopedDelta is not double delta) return;
        string given = delta.ToString(CultureInfo.InvariantCulture);
        if (settings.InitFrom is null)
            throw new InputException($"--moped-delta {given}: MOPED scales the weights of a pretrained network; " +
                                     "give it with --init-from FILE.pt.");
        if (method != "vi")
            throw new InputException($"--moped-delta {given}: MOPED sets the posterior scales of --method vi; {method} has none. " +
                                     "Leave it out.");
        if (!(delta > 0) || !double.IsFinite(delta))
            throw new InputException($"--moped-delta {given}: expected a finite delta > 0 (sigma = delta |w|), e.g. --moped-delta 0.1.");
    }

    static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./=:+,@".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''")}'";

    static void RequireFolder(string option, string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
            throw new InputException($"{option} {path}: the folder {folder} does not exist; create it first.");
    }

    /// <summary>The network's ends against the data: input width, classes or regression outputs, VAE data in [0, 1].</summary>
    static void CheckShapes(TrainOptions options, long[] widths, LabeledData data, bool classification)
    {
        long features = data.Inputs.shape[1];
        if (widths[0] != features)
            throw new InputException($"--network {options.Network}: the input width {widths[0]} differs from the data's {features} " +
                                     "input columns " +
                                     $"(features per row); start the network with {features}.");
        if (options.Method == "vae")
        {
            if (widths.Length < 3)
                throw new InputException($"--network {options.Network}: a VAE needs the input, at least one hidden width and the " +
                                         $"latent size, e.g. {features}-400-20.");
            double low = data.Inputs.min().to(ScalarType.Float64).item<double>();
            double high = data.Inputs.max().to(ScalarType.Float64).item<double>();
            if (low < 0 || high > 1)
                throw new InputException($"the VAE's Bernoulli decoder models values in [0, 1]; the data range over [{low}, {high}]. " +
                                         "Scale them to [0, 1].");
            return;
        }
        if (classification)
        {
            long classes = data.Targets.max().item<long>() + 1;
            if (widths[^1] < classes)
                throw new InputException($"--network {options.Network}: {widths[^1]} outputs, but the labels go up to {classes - 1}; " +
                                         $"end the network with at least {classes} (one logit per class).");
        }
        else if (options.Tune && widths[^1] != 1)
            throw new InputException($"--network {options.Network}: --tune chooses one noise sd for the Gaussian, so the network " +
                                     "predicts only the mean and the last width must be 1, e.g. " + string.Join("-", widths[..^1]) + "-1.");
        else if (options.Method == "laplace" && widths[^1] != 1)
            throw new InputException($"--network {options.Network}: laplace regression predicts the mean of a Gaussian whose " +
                                     "one noise sd the evidence tunes, so the last width must be 1, e.g. " +
                                     string.Join("-", widths[..^1]) + "-1.");
        else if (options.Method != "laplace" && !options.Tune && widths[^1] != 2)
            throw new InputException($"--network {options.Network}: regression predicts a mean and a scale per target " +
                                     "(a heteroscedastic Gaussian), so the last width must be 2, e.g. " +
                                     string.Join("-", widths[..^1]) + "-2.");
    }

    /// <summary>
    /// The fit of the method, checkpointed after every epoch. vae and ensemble fit once, calling back after every epoch
    /// (<see cref="VaeFitting.Fit(Vae, Tensor, VariationalFitOptions?, Action{EpochReport}?)"/>,
    /// <see cref="EnsembleBuilding.FitEnsemble"/>);
    /// vi and mcdropout, whose fits have no epoch callback, fit one epoch at a time: epoch e resumes from the checkpoint of epoch e - 1.
    /// </summary>
    static MethodFit Prepare(TrainOptions o, long[] widths, LabeledData data, bool classification, Standardization? scaling,
        string checkpoint, ComputePolicy policy, (string File, double? MopedDelta)? init)
    {
        var activation = o.ActivationKind();
        CheckpointOptions Checkpoint(bool resume) => new(checkpoint, EveryEpochs: 1, Resume: resume);
        if (o.Method == "vae")
        {
            NativeEngine.Seed(o.Seed);
            var vae = NetworkDeclaration.Vae(widths, activation, o.Initialization()).Build(policy);
            var fitOptions = new VariationalFitOptions(o.Epochs, o.BatchSize, o.LearningRate, o.Seed);
            return new MethodFit((resume, onEpoch) =>
                VaeFitting.Fit(vae, data.Inputs, fitOptions with { Checkpoint = Checkpoint(resume) },
                    r => onEpoch(new EpochLine(r.Epoch, r.MeanLoss, null, 0))),
                path => ModelFile.SaveVae(vae, path), vae, o.Epochs);
        }
        if (o.Method == "laplace") return PrepareLaplace(o, widths, data, classification, scaling, Checkpoint, policy);
        var likelihood = classification ? Likelihoods.Categorical() : Likelihoods.Heteroscedastic();
        if (o.Method is "swag" or "sgmcmc") return PrepareSampled(o, widths, data, likelihood, scaling, Checkpoint, policy);
        if (o.Method == "ensemble")
        {
            var members = NetworkDeclaration.Deterministic(widths, activation, o.Initialization()).WithLikelihood(likelihood);
            var ensembleOptions = new EnsembleFitOptions(o.Members, o.Epochs, o.BatchSize, o.LearningRate, o.Seed);
            var errors = members.ValidateEnsemble(ensembleOptions);
            if (errors.Count > 0) throw new InputException($"--network {o.Network}: " + string.Join(" ", errors.Select(m => m.Message)));
            EnsembleFitResult? result = null;
            return new MethodFit((resume, onEpoch) =>
                    result = members.FitEnsemble(data, ensembleOptions with { Checkpoint = Checkpoint(resume) }, policy,
                        (m, r) => onEpoch(new EpochLine(m * o.Epochs + r.Epoch, r.MeanLoss, null, 0))),
                path => ModelFile.SaveEnsemble(result!.Ensemble, path, scaling),
                new Deferred(() => { foreach (var member in result?.Ensemble.Members ?? []) member.Dispose(); }), o.Members * o.Epochs);
        }
        var declared = o.Method == "mcdropout"
            ? NetworkDeclaration.Deterministic(widths, activation, o.Initialization())
                .WithVariational(VariationalFamily.Dropout(o.DropoutRate))
            : NetworkDeclaration.Variational(widths, activation);
        declared = declared.WithLikelihood(likelihood);
        var variational = new VariationalFitOptions(o.Epochs, o.BatchSize, o.LearningRate, o.Seed);
        var mistakes = declared.Validate().Concat(o.Method == "vi" ? declared.ValidateFit(variational) : []).ToList();
        if (mistakes.Count > 0) throw new InputException($"--network {o.Network}: " + string.Join(" ", mistakes.Select(m => m.Message)));
        NativeEngine.Seed(o.Seed);
        var model = declared.Build(policy);
        if (init is var (file, delta)) InitialiseFrom(model, file, delta, o.Network!);
        var dropout = new MCDropoutFitOptions(o.Epochs, o.BatchSize, o.LearningRate, o.Seed);
        EpochLine? FitTo(int epoch, bool resume)
        {
            var reports = o.Method == "mcdropout"
                ? model.FitMCDropout(data, dropout with { Epochs = epoch, Checkpoint = Checkpoint(resume) })
                : model.Fit(data, variational with { Epochs = epoch, Checkpoint = Checkpoint(resume) });
            if (reports.Count == 0) return null;
            var r = reports[^1];
            return new EpochLine(r.Epoch, r.MeanLoss, o.Method == "vi" ? r.KL : null, Seconds: 0);
        }
        return new MethodFit((resume, onEpoch) =>
        {
            int first = 1;
            if (resume)
            {
                // Restores the checkpoint; a checkpoint at or past epoch 1 trains no further and reports its last epoch.
                int done = FitTo(1, true)?.Epoch ?? 0;
                if (done > o.Epochs)
                    throw new InputException($"--resume: the checkpoint {checkpoint} holds {done} epochs, more than --epochs {o.Epochs}; " +
                                             $"resume with --epochs {done} or more, or train afresh without --resume.");
                first = done + 1;
            }
            for (int epoch = first; epoch <= o.Epochs; epoch++) onEpoch(FitTo(epoch, epoch > 1 || resume)!);
        }, path => ModelFile.Save(model.Network, path, scaling), model, o.Epochs);
    }

    /// <summary>
    /// mcdropout --tune: <see cref="SequentialBuilder.SearchMCDropout"/> on the standardised training rows with the default rate grid,
    /// the standardised noise grid, 20% held out, T = 1000 held-out draws and the length-scale prior l = 0.01 (Gal &amp; Ghahramani's
    /// UCI settings), then the chosen (p, σ) refitted on every row. The replicated fits report no epoch until they end and are not
    /// checkpointed, so the progress shows the last epoch only; Ctrl+C stops at once.
    /// </summary>
    static MethodFit PrepareTuned(TrainOptions o, long[] widths, LabeledData data, Standardization scaling, ComputePolicy policy,
        Action<string> say)
    {
        const double lengthScale = 0.01;
        var network = NetworkDeclaration.Deterministic(widths, o.ActivationKind(), o.Initialization());
        var search = new MCDropoutGridSearchOptions(new MCDropoutFitOptions(o.Epochs, o.BatchSize, o.LearningRate, o.Seed,
            LengthScale: lengthScale));
        BuiltModel? model = null;
        return new MethodFit((_, onEpoch) =>
        {
            using var grid = network.SearchMCDropout([data], search, policy);
            var chosen = grid.Choose(MCDropoutGridSearchOptions.StandardisedNoiseSds)[0];
            double sd = chosen.NoiseSd * scaling.TargetScale;
            say($"tuned on {data.Count - grid.HeldOut(0).Count} rows, scored on {grid.HeldOut(0).Count} held out: dropout rate " +
                $"{chosen.DropoutRate.ToString(CultureInfo.InvariantCulture)}, " +
                $"noise sd {sd.ToString("G4", CultureInfo.InvariantCulture)} " +
                $"(tau {(1 / (sd * sd)).ToString("G4", CultureInfo.InvariantCulture)}) in the target's units, held-out log-likelihood " +
                $"{chosen.ValidationLogLikelihood.ToString("F3", CultureInfo.InvariantCulture)} (standardised)");
            var refit = grid.Refit([chosen]);
            model = refit.Models[0];
            onEpoch(new EpochLine(refit.Epochs[^1].Epoch, refit.Epochs[^1].MeanLoss, null, 0));
        }, path => ModelFile.Save(model!.Network, path, scaling), new Deferred(() => model?.Dispose()), o.Epochs);
    }

    /// <summary>
    /// laplace: the network trained by maximum likelihood (<see cref="EnsembleBuilding.FitEnsemble"/> with one member, checkpointed like an
    /// ensemble; a Categorical likelihood, or for regression a Gaussian of sd 1 on the standardised target), then made Bayesian post hoc
    /// when saved (<see cref="LaplacePosterior.Fit"/>): last-layer KFAC, prior precision (and for regression the noise sd) tuned by the
    /// Laplace evidence. Classifiers predict through the GLM with Monte Carlo over f, regression models by sampling weights, so both
    /// predictives have T draws and the aleatoric / epistemic split of <c>predict</c> is there.
    /// </summary>
    static MethodFit PrepareLaplace(TrainOptions o, long[] widths, LabeledData data, bool classification, Standardization? scaling,
        Func<bool, CheckpointOptions> checkpoint, ComputePolicy policy)
    {
        // Regression: squared error on the standardised target (noise sd fixed at 1); the evidence then tunes the sd, as laplace-torch.
        var likelihood = classification ? Likelihoods.Categorical() : Likelihoods.Gaussian(1.0);
        var network = NetworkDeclaration.Deterministic(widths, o.ActivationKind(), o.Initialization()).WithLikelihood(likelihood);
        var fitOptions = new EnsembleFitOptions(Members: 1, o.Epochs, o.BatchSize, o.LearningRate, o.Seed);
        var errors = network.ValidateEnsemble(fitOptions);
        if (errors.Count > 0) throw new InputException($"--network {o.Network}: " + string.Join(" ", errors.Select(m => m.Message)));
        var laplace = new LaplaceOptions(
            Predictive: classification ? LaplacePredictiveKind.Glm : LaplacePredictiveKind.Sampling, Link: GlmLink.MonteCarlo,
            TunePrior: true, TuneNoise: !classification, Seed: o.Seed);
        EnsembleFitResult? result = null;
        return new MethodFit((resume, onEpoch) =>
                result = network.FitEnsemble(data, fitOptions with { Checkpoint = checkpoint(resume) }, policy,
                    (_, r) => onEpoch(new EpochLine(r.Epoch, r.MeanLoss, null, 0))),
            path =>
            {
                var map = result!.Ensemble;
                using var posterior = LaplacePosterior.Fit(map.Members[0], map.Likelihood, data, laplace);
                ModelFile.SaveLaplace(posterior, path, scaling);
            },
            new Deferred(() =>
            {
                foreach (var member in result?.Ensemble.Members ?? []) member.Dispose();
                result?.Ensemble.Likelihood.Dispose();
            }), o.Epochs);
    }

    /// <summary>
    /// The epochs swag and sgmcmc collect snapshots or keep draws in: the last quarter of <c>--epochs</c> (at least one, at most
    /// all but one); the epochs before train the network by maximum likelihood, checkpointed.
    /// </summary>
    internal static int PosteriorEpochs(int epochs) => Math.Clamp((epochs + 3) / 4, 1, epochs - 1);

    /// <summary>
    /// swag and sgmcmc: the network trained by maximum likelihood for the first epochs (<see cref="EnsembleBuilding.FitEnsemble"/> with
    /// one member and Adam at <c>--lr</c>, checkpointed like an ensemble), then, when saved, the posterior fitted from those weights over
    /// the last <see cref="PosteriorEpochs"/> epochs (a Categorical likelihood, or for regression the heteroscedastic Gaussian on the
    /// standardised target). swag: <see cref="PosteriorFitting.FitSwag"/> with <see cref="SwagOptions"/>' SGD with momentum and rate,
    /// no further burn-in, and rank K = 20 (fewer when the run collects fewer) snapshots spread evenly over the collection epochs.
    /// sgmcmc: <see cref="PosteriorFitting.FitSgmcmc"/> with <see cref="SgmcmcOptions"/>' sampler (SGHMC) and friction, the step size
    /// η = 0.01 / N (the options' advice), no further burn-in, and a thinning that keeps about 30 draws. For regression the rate and the
    /// step are scaled by the trained network's noise variance (<see cref="NoiseVariance"/>).
    /// </summary>
    static MethodFit PrepareSampled(TrainOptions o, long[] widths, LabeledData data, LikelihoodSpec likelihood, Standardization? scaling,
        Func<bool, CheckpointOptions> checkpoint, ComputePolicy policy)
    {
        if (o.Epochs < 2)
            throw new InputException($"--epochs {o.Epochs}: {o.Method} trains the network first and then fits the posterior over the " +
                                     "last quarter of the epochs, so it needs at least 2, e.g. --epochs 8.");
        var network = NetworkDeclaration.Deterministic(widths, o.ActivationKind(), o.Initialization()).WithLikelihood(likelihood);
        int posteriorEpochs = PosteriorEpochs(o.Epochs), trainEpochs = o.Epochs - posteriorEpochs;
        var fitOptions = new EnsembleFitOptions(Members: 1, trainEpochs, o.BatchSize, o.LearningRate, o.Seed);
        var errors = network.ValidateEnsemble(fitOptions);
        if (errors.Count > 0) throw new InputException($"--network {o.Network}: " + string.Join(" ", errors.Select(m => m.Message)));
        int batches = (int)((data.Count + Math.Min(o.BatchSize, data.Count) - 1) / Math.Min(o.BatchSize, data.Count));
        EnsembleFitResult? result = null;
        void Save(string path)
        {
            var map = result!.Ensemble.Members[0];
            var functional = FunctionalNetwork.From(map, [data.Inputs.shape[1]], network.Prior);
            using var start = functional.Pack(map);
            double noise = NoiseVariance(result.Ensemble, data, likelihood);
            if (o.Method == "swag")
            {
                int perEpoch = Math.Min(batches, (20 + posteriorEpochs - 1) / posteriorEpochs);
                var swag = new SwagOptions(Rank: Math.Min(20, perEpoch * posteriorEpochs), Epochs: posteriorEpochs, BurnInEpochs: 0,
                    BatchSize: o.BatchSize, LearningRate: new SwagOptions().LearningRate * noise, SnapshotsPerEpoch: perEpoch,
                    Seed: o.Seed);
                using var posterior = network.FitSwag(data, swag, policy, start);
                ModelFile.SaveSwag(posterior, path, scaling);
            }
            else
            {
                var sgmcmc = new SgmcmcOptions(Epochs: posteriorEpochs, BatchSize: o.BatchSize, StepSize: 0.01 * noise / data.Count,
                    BurnInEpochs: 0, Thinning: Math.Max(1, posteriorEpochs * batches / 30), Seed: o.Seed);
                ModelFile.SaveSgmcmc(network.FitSgmcmc(data, sgmcmc, policy, start), path, scaling);
            }
        }
        return new MethodFit((resume, onEpoch) =>
                result = network.FitEnsemble(data, fitOptions with { Checkpoint = checkpoint(resume) }, policy,
                    (_, r) => onEpoch(new EpochLine(r.Epoch, r.MeanLoss, null, 0))),
            Save,
            new Deferred(() =>
            {
                foreach (var member in result?.Ensemble.Members ?? []) member.Dispose();
                result?.Ensemble.Likelihood.Dispose();
            }), trainEpochs);
    }

    /// <summary>
    /// The trained network's mean predicted noise variance on the (standardised) training rows, at most 1; 1 for a classifier. The
    /// Gaussian loss's curvature grows as 1 / σ², so swag's SGD rate and sgmcmc's step size are scaled by σ² to take the same steps
    /// whatever noise the network has learned (unscaled, a network fitted to σ ≈ 0.05 diverges at SWAG's rate of 0.01).
    /// </summary>
    static double NoiseVariance(Inference.DeepEnsemble trained, LabeledData data, LikelihoodSpec likelihood)
    {
        if (likelihood.Kind != LikelihoodKind.Gaussian) return 1;
        using var scope = NewDisposeScope();
        using var predictive = trained.Predict(data.Inputs);
        double variance = predictive.Variances!.mean().to(ScalarType.Float64).item<double>();
        return double.IsFinite(variance) && variance > 0 ? Math.Min(1, variance) : 1;
    }

    /// <summary>
    /// Copies a PyTorch state dict into the built network (<see cref="PyTorchWeights.Load(BuiltModel, string, double?)"/>) before
    /// the first epoch; a checkpoint being resumed then overwrites it. A file that does not fit the network is a usage error
    /// naming the option, the tensor, the layer and both shapes.
    /// </summary>
    static void InitialiseFrom(BuiltModel model, string file, double? mopedDelta, string network)
    {
        try
        {
            PyTorchWeights.Load(model, file, mopedDelta);
        }
        catch (ArgumentException e)
        {
            model.Dispose();
            throw new InputException($"--init-from {file} does not fit --network {network}: {e.Message}");
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
