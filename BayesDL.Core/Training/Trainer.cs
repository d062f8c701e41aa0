using System.Diagnostics;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Objectives;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// Minibatch training of a model with a posterior over its weights (<see cref="IVariationalModel"/>, e.g. the builders'
/// <c>BayesianNetwork</c>) by maximising the ELBO (<see cref="ElboObjective"/>, KL
/// scaled by the training-set size). Each epoch shuffles rows with a generator seeded from
/// <see cref="TrainerOptions.Seed"/> and the epoch, each step runs inside its own dispose scope (native memory stays
/// flat), and a NaN or infinite loss stops training with an error naming the step and the last finite loss. With
/// <see cref="TrainerOptions.Checkpoint"/> set, the run is checkpointed atomically every few epochs and a restarted run
/// resumes from the checkpoint, ending bitwise identical to an uninterrupted one (see <see cref="CheckpointOptions"/>).
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
    /// step and epoch (for metrics, logging, memory probes). When resuming from a checkpoint
    /// (<see cref="TrainerOptions.Checkpoint"/>) the model, optimizer and generator continue from the saved state, the
    /// returned reports start with the saved ones, and the callbacks see only the epochs trained now.
    /// </summary>
    public IReadOnlyList<EpochReport> Fit<TModel>(TModel model, LabeledData data, ElboOptions? elbo = null,
        Action<StepReport>? onStep = null, Action<EpochReport>? onEpoch = null) where TModel : nn.Module, IVariationalModel
    {
        Check.Positive(data.Count, nameof(Trainer), nameof(data));
        var objective = new ElboObjective(model, data.Count, elbo);
        return Fit(model, data, objective.Evaluate, model.KL, onStep, onEpoch, TrainingCheckpoint.DescribeSettings(elbo ?? new ElboOptions()));
    }

    /// <summary>
    /// The training loop with a caller's per-minibatch objective <paramref name="evaluate"/>(inputs, targets, position)
    /// (minimised: its <see cref="ElboTerms.Loss"/>) and the KL term <paramref name="kl"/> reported after each epoch.
    /// <paramref name="objective"/> describes the objective's settings; a checkpoint resumes only under the same description.
    /// </summary>
    internal IReadOnlyList<EpochReport> Fit(nn.Module model, LabeledData data, Func<Tensor, Tensor, BatchPosition, ElboTerms> evaluate,
        Func<Tensor> kl, Action<StepReport>? onStep = null, Action<EpochReport>? onEpoch = null, string objective = "")
    {
        Check.Positive(data.Count, nameof(Trainer), nameof(data));
        var parameters = model.parameters();
        optim.Optimizer optimizer = Options.Optimizer switch
        {
            OptimizerKind.Sgd => optim.SGD(parameters, Options.LearningRate),
            OptimizerKind.SgdMomentum => optim.SGD(parameters, Options.LearningRate, momentum: 0.9, nesterov: true),
            _ => optim.Adam(parameters, Options.LearningRate),
        };
        NativeEngine.Seed(Options.Seed);
        model.train();
        long n = data.Count, batch = Math.Min(Options.BatchSize, n);
        int batches = (int)((n + batch - 1) / batch);
        long step = 0;
        double lastFinite = double.NaN;
        var history = new List<EpochReport>();
        var checkpoint = Options.Checkpoint;
        var saved = new TrainingCheckpoint.State(model.state_dict().Select(e => (e.Key, e.Value)).ToList(), optimizer);
        TrainingCheckpoint.Setting[] settings =
        [
            TrainingCheckpoint.Same("the optimizer", Options.Optimizer), TrainingCheckpoint.Same("the batch size", Options.BatchSize),
            TrainingCheckpoint.Same("the learning rate", Options.LearningRate), TrainingCheckpoint.Same("the seed", Options.Seed),
            TrainingCheckpoint.Same("Shuffle", Options.Shuffle), TrainingCheckpoint.Same("the number of training rows", n),
            TrainingCheckpoint.Same("the objective", objective),
        ];
        TrainingCheckpoint.Header Describe() =>
            TrainingCheckpoint.Describe(CheckpointKind.Trainer, saved, history.Count, step, settings, reports: history);
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
            // TorchSharp exposes no CUDA generator state to checkpoint: reseed it per epoch so resumed runs draw alike.
            if (cuda.is_available()) cuda.manual_seed_all(Options.Seed * 1_000_003 + epoch);
            double elboSum = 0, lossSum = 0;
            using var shuffler = new Generator((ulong)(Options.Seed * 1_000_003 + epoch), CPU);
            using var order = Options.Shuffle
                ? randperm(n, generator: shuffler).to(data.Inputs.device)
                : arange(n, device: data.Inputs.device);
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                Tensor rows = order.narrow(0, b * batch, Math.Min(batch, n - b * batch));
                optimizer.zero_grad();
                var terms = evaluate(data.Inputs.index_select(0, rows), data.Targets.index_select(0, rows),
                    new BatchPosition(step, b, batches));
                double loss = terms.Loss.to(ScalarType.Float64).item<double>();
                if (!double.IsFinite(loss))
                    throw new TrainingDivergedException(
                        $"{nameof(Trainer)}: the loss became {loss} at step {step + 1} (epoch {epoch}, minibatch {b + 1} of {batches}); " +
                        $"the last finite loss was {(double.IsNaN(lastFinite) ? "none (first step)" : lastFinite.ToString("G6"))}. " +
                        "Lower the learning rate, check the inputs for NaN/Inf, or start from a smaller posterior std (InitialRho).",
                        step + 1, epoch, loss);
                terms.Loss.backward();
                optimizer.step();
                lastFinite = loss;
                step++;
                elboSum += terms.Elbo.to(ScalarType.Float64).item<double>();
                lossSum += loss * rows.shape[0];
                onStep?.Invoke(new StepReport(step, epoch, loss));
            }
            double klValue;
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
