using System.Diagnostics;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Objectives;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// The one minibatch training loop of BayesDL: Bayes by Backprop (<see cref="Fit{TModel}"/>: the ELBO of an
/// <see cref="IVariationalModel"/>, KL scaled by the training-set size), the builders' MC and concrete dropout fits, every fit of
/// the VAE family, every ensemble member, and any per-minibatch loss over row indices
/// (<see cref="Fit(IEnumerable{Parameter}, long, Func{Tensor, BatchPosition, Tensor}, Action{StepReport}?, Action{EpochReport}?)"/>) train
/// through it. Per step: free the gradients (a parameter the loss does not reach takes no step), evaluate the loss on the
/// minibatch's rows, stop on a NaN or infinite loss (<see cref="TrainingDivergedException"/> naming the step and the last finite
/// loss), backpropagate, set the scheduled learning rate (<see cref="TrainerOptions.Schedule"/>), take an optimizer step
/// (<see cref="TrainerOptions.Optimizer"/>: Adam, updated in place; SGD; SGD with Nesterov momentum), all inside the step's own
/// dispose scope so native memory stays flat; then the step callback, and after each epoch the epoch callback.
/// <para>The shuffle contract (one for every fit): training starts by seeding the engine's generator with
/// <see cref="TrainerOptions.Seed"/> s (weight noise, dropout masks, latent draws then follow from s); epoch e (from 1) visits the
/// rows in the order of <c>randperm(N)</c> drawn on the CPU from a generator seeded with s · 1,000,003 + e, cut into consecutive
/// minibatches of <see cref="TrainerOptions.BatchSize"/> rows (the last one smaller); without <see cref="TrainerOptions.Shuffle"/>
/// in the order 0..N-1. The order of epoch e is thus a function of (s, e) alone, which is what lets a checkpoint hold only the
/// engine's generator state. (On CUDA, whose generator state TorchSharp does not expose, the CUDA generator is reseeded from
/// s · 1,000,003 + e at each epoch start.)</para>
/// With <see cref="TrainerOptions.Checkpoint"/> set, the run is checkpointed atomically every few epochs and a restarted run
/// resumes from the checkpoint, ending bitwise identical to an uninterrupted one on CPU (see <see cref="CheckpointOptions"/>).
/// </summary>
public sealed class Trainer
{
    /// <summary>A trainer with the given settings (defaults: 10 epochs, batch 128, Adam 1e-3, seed 0).</summary>
    public Trainer(TrainerOptions? options = null)
    {
        Options = options ?? new TrainerOptions();
        Options.Validate();
    }

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Tests only: runs in the middle of each checkpoint write (after the model state), e.g. to make a write fail.</summary>
    internal Action<BinaryWriter>? CheckpointWriteHook { get; set; }

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/> (already on the model's device and dtype) and
    /// returns one report per epoch. <paramref name="onStep"/> and <paramref name="onEpoch"/> are called after each
    /// step and epoch (for metrics, logging, memory probes, collecting iterates). When resuming from a checkpoint
    /// (<see cref="TrainerOptions.Checkpoint"/>) the model, optimizer and generator continue from the saved state, the
    /// returned reports start with the saved ones, and the callbacks see only the epochs trained now.
    /// </summary>
    public IReadOnlyList<EpochReport> Fit<TModel>(TModel model, LabeledData data, ElboOptions? elbo = null,
        Action<StepReport>? onStep = null, Action<EpochReport>? onEpoch = null) where TModel : nn.Module, IVariationalModel
    {
        Check.Positive(data.Count, nameof(Trainer), nameof(data));
        var objective = new ElboObjective(model, data.Count, elbo);
        return Fit(model, data, objective.Evaluate, model.KL, onStep, onEpoch,
            TrainingCheckpoint.DescribeSettings(elbo ?? new ElboOptions()));
    }

    /// <summary>
    /// Minimises a caller's per-minibatch <paramref name="loss"/>(rows, position) over <paramref name="parameters"/>: rows are the
    /// int64 indices (on the parameters' device) of the minibatch's training rows among <paramref name="rows"/>, position its place in
    /// the run (<see cref="BatchPosition.GlobalStep"/> = steps taken before it, for warm-ups). The loss is a scalar, per example
    /// (the report's mean loss averages it with weights B_b). A checkpoint saves the parameters by position ("parameter i").
    /// Put modules in training mode before and in evaluation mode after; returns one report per epoch (KL NaN: no KL term).
    /// </summary>
    public IReadOnlyList<EpochReport> Fit(IEnumerable<Parameter> parameters, long rows, Func<Tensor, BatchPosition, Tensor> loss,
        Action<StepReport>? onStep = null, Action<EpochReport>? onEpoch = null)
    {
        var list = parameters.ToList();
        Check.Argument(list.Count > 0, nameof(Trainer), nameof(parameters), "no parameters", "at least one trainable parameter");
        Check.Positive(rows, nameof(Trainer), nameof(rows));
        return Run(new TrainingRun(nameof(Trainer), list,
            list.Select((p, i) => ($"parameter {i}", (Tensor)p)).ToList(), rows, list[0].device,
            (idx, position) => new MinibatchLoss(loss(idx, position)), null, CheckpointKind.Trainer,
            "a caller's loss over parameters"), onStep, onEpoch);
    }

    /// <summary>
    /// The labelled-data fits (Bayes by Backprop, MC and concrete dropout): a caller's per-minibatch objective
    /// <paramref name="evaluate"/>(inputs, targets, position) (minimised: its <see cref="ElboTerms.Loss"/>; its ELBO is reported) and
    /// the KL term <paramref name="kl"/> reported after each epoch. <paramref name="objective"/> describes the objective's settings;
    /// a checkpoint resumes only under the same description.
    /// </summary>
    internal IReadOnlyList<EpochReport> Fit(nn.Module model, LabeledData data, Func<Tensor, Tensor, BatchPosition, ElboTerms> evaluate,
        Func<Tensor> kl, Action<StepReport>? onStep = null, Action<EpochReport>? onEpoch = null, string objective = "")
    {
        Check.Positive(data.Count, nameof(Trainer), nameof(data));
        var (parameters, saved) = TrainingRun.Of(model);
        model.train();
        Tensor x = data.Inputs, y = data.Targets;
        return Run(new TrainingRun(nameof(Trainer), parameters, saved, data.Count, x.device, (rows, position) =>
        {
            var terms = evaluate(x.index_select(0, rows), y.index_select(0, rows), position);
            return new MinibatchLoss(terms.Loss, terms.Elbo);
        }, kl, CheckpointKind.Trainer, objective), onStep, onEpoch);
    }

    /// <summary>
    /// The loop itself (see the class summary for the contract): trains <paramref name="run"/> for <see cref="TrainerOptions.Epochs"/>
    /// epochs, resuming from and writing checkpoints of <paramref name="run"/>'s kind as <see cref="TrainerOptions.Checkpoint"/> says.
    /// </summary>
    internal IReadOnlyList<EpochReport> Run(TrainingRun run, Action<StepReport>? onStep, Action<EpochReport>? onEpoch)
    {
        Check.Positive(run.Rows, run.Fit, "rows");
        var parameters = run.Parameters;
        using optim.Optimizer optimizer = Options.Optimizer switch
        {
            OptimizerKind.Sgd => optim.SGD(parameters, Options.LearningRate),
            OptimizerKind.SgdMomentum => optim.SGD(parameters, Options.LearningRate, momentum: 0.9, nesterov: true),
            _ => optim.Adam(parameters, Options.LearningRate),
        };
        NativeEngine.Seed(Options.Seed);
        long n = run.Rows, batch = Math.Min(Options.BatchSize, n);
        int batches = (int)((n + batch - 1) / batch);
        long totalSteps = (long)Options.Epochs * batches, step = 0;
        double lastFinite = double.NaN;
        var history = new List<EpochReport>();
        var checkpoint = Options.Checkpoint;
        var saved = new TrainingCheckpoint.State(run.Saved, optimizer);
        var settings = new List<TrainingCheckpoint.Setting>
        {
            TrainingCheckpoint.Same("the optimizer", Options.Optimizer), TrainingCheckpoint.Same("the batch size", Options.BatchSize),
            TrainingCheckpoint.Same("the learning rate", Options.LearningRate), TrainingCheckpoint.Same("the seed", Options.Seed),
            TrainingCheckpoint.Same("Shuffle", Options.Shuffle), TrainingCheckpoint.Same("the number of training rows", n),
            TrainingCheckpoint.Same("the objective", run.Objective),
        };
        // Recorded only when set, so checkpoints of constant-rate runs stay those of earlier versions.
        if (Options.Schedule is { } schedule) settings.Add(TrainingCheckpoint.Same("the learning-rate schedule", schedule));
        settings.AddRange(run.Settings ?? []);
        TrainingCheckpoint.Header Describe() =>
            TrainingCheckpoint.Describe(run.Kind, saved, history.Count, step, settings, history, run.CompletedRuns);
        if (checkpoint is { Resume: true } && File.Exists(checkpoint.Path))
        {
            var restored = TrainingCheckpoint.Load(checkpoint.Path, Describe(), saved);
            // A checkpoint at or past the requested epochs trains no further: its reports describe the loaded state.
            history.AddRange(restored.Reports!);
            step = restored.Steps;
        }
        for (int epoch = history.Count + 1; epoch <= Options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            long epochSeed = Options.Seed * 1_000_003 + epoch;
            // TorchSharp exposes no CUDA generator state to checkpoint: reseed it per epoch so resumed runs draw alike.
            if (cuda.is_available()) cuda.manual_seed_all(epochSeed);
            double elboSum = 0, lossSum = 0;
            using var shuffler = new Generator((ulong)epochSeed, CPU);
            // `to` returns a new handle even on the same device: make the order inside a scope so the CPU permutation is freed
            // with it (outside any scope it would live until the finalizer, one tensor per epoch).
            Tensor order;
            using (var orderScope = NewDisposeScope())
            {
                Tensor made = Options.Shuffle ? randperm(n, generator: shuffler).to(run.Device) : arange(n, device: run.Device);
                order = made.MoveToOuterDisposeScope();
            }
            using var ownedOrder = order;
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                Tensor rows = order.narrow(0, b * batch, Math.Min(batch, n - b * batch));
                // Gradients are freed rather than zeroed (PyTorch's set_to_none): backpropagation then stores each gradient it makes
                // instead of adding it to a zeroed buffer, and a parameter the loss does not reach gets no step.
                foreach (var p in parameters) p.grad = null;
                // The step's forward passes, KL term and backward pass share each layer's sigma = softplus(rho); the scope ends
                // before the parameters change (the optimizer, callbacks).
                var sharedScales = Layers.VariationalLayer.ShareScalesWithinStep();
                MinibatchLoss terms;
                double loss;
                try
                {
                    terms = run.Loss(rows, new BatchPosition(step, b, batches));
                    loss = terms.Loss.to(ScalarType.Float64).item<double>();
                    if (!double.IsFinite(loss))
                        throw new TrainingDivergedException(
                            $"{run.Fit}: the loss became {loss} at step {step + 1} (epoch {epoch}, minibatch {b + 1} of {batches}); " +
                            $"the last finite loss was {(double.IsNaN(lastFinite) ? "none (first step)" : lastFinite.ToString("G6"))}. " +
                            "Lower the learning rate, check the inputs for NaN/Inf or values outside the likelihood's support, " +
                            "or start from a smaller posterior std (InitialRho).",
                            step + 1, epoch, loss);
                    terms.Loss.backward();
                }
                finally { sharedScales.Dispose(); }
                double rate = Options.Schedule?.Rate(Options.LearningRate, step, batches, totalSteps) ?? Options.LearningRate;
                if (Options.Schedule is not null)
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
                if (run.Update is { } update) update(rate);
                // Not an Adam subclass: TorchSharp writes the optimizer's type name into its state, which would change checkpoints.
                else if (optimizer is Adam adam) InPlaceAdamStep.Step(adam);
                else optimizer.step();
                lastFinite = loss;
                step++;
                long rowCount = rows.shape[0];
                elboSum += terms.Elbo is { } elbo ? elbo.to(ScalarType.Float64).item<double>() : -loss * rowCount;
                lossSum += loss * rowCount;
                onStep?.Invoke(new StepReport(step, epoch, loss, b, batches, rate, parameters));
                NativeAllocator.CollectIfDue();
            }
            double klValue = double.NaN;
            if (run.KL is { } kl)
                using (no_grad()) using (var klScope = NewDisposeScope()) klValue = kl().to(ScalarType.Float64).item<double>();
            var report = new EpochReport(epoch, elboSum, lossSum / n, klValue, clock.Elapsed.TotalSeconds);
            history.Add(report);
            if (checkpoint is not null && (epoch % checkpoint.EveryEpochs == 0 || epoch == Options.Epochs))
                TrainingCheckpoint.Write(checkpoint.Path, Describe(), saved, CheckpointWriteHook);
            onEpoch?.Invoke(report);
        }
        return history;
    }
}
