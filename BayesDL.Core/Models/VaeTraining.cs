using BayesDL.Training;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// The small training loop shared by the VAE family (VAE, autoencoder, CVAE, M2): each epoch draws a seeded
/// permutation of the row indices, and each step hands a batch of indices to the caller's loss, runs
/// backward and an Adam step, all inside a dispose scope so native memory stays flat. A loss that turns NaN
/// or infinite stops training with an <see cref="InvalidOperationException"/> naming the epoch and step. With
/// <see cref="VaeTrainingOptions.Checkpoint"/> set, the loop writes a checkpoint atomically after every few epochs and after the
/// last (<see cref="TrainingCheckpoint"/> of kind <see cref="CheckpointKind.VaeFamily"/>: parameters, Adam state, step count, epoch
/// losses, the engine's generator and the shuffling generator), and a rerun with Resume continues from the next epoch, ending bitwise equal to an uninterrupted run on CPU.
/// </summary>
public static class VaeTraining
{
    /// <summary>
    /// Minimises <paramref name="loss"/>(batchIndices, step) over <paramref name="rows"/> rows; returns the mean loss
    /// of each epoch. <paramref name="progress"/> receives (epoch, mean loss) after every epoch.
    /// </summary>
    public static IReadOnlyList<double> Fit(IEnumerable<TorchSharp.Modules.Parameter> parameters, long rows, Func<Tensor, long, Tensor> loss,
        VaeTrainingOptions? options = null, Action<int, double>? progress = null) =>
        Run(parameters, rows, loss, options, progress, objective: "");

    /// <summary>As the public Fit; <paramref name="objective"/> describes the loss's settings, and a checkpoint resumes only under the same description.</summary>
    internal static IReadOnlyList<double> Run(IEnumerable<TorchSharp.Modules.Parameter> parameters, long rows, Func<Tensor, long, Tensor> loss,
        VaeTrainingOptions? options, Action<int, double>? progress, string objective)
    {
        options ??= new VaeTrainingOptions();
        options.Validate();
        Check.Positive(rows, nameof(VaeTraining), "rows");
        var parameterList = parameters.ToList();
        Check.Argument(parameterList.Count > 0, nameof(VaeTraining), "parameters", "no parameters", "at least one trainable parameter");
        Engine.NativeEngine.Seed(options.Seed);
        using var generator = new Generator((ulong)options.Seed);
        using var optimizer = optim.Adam(parameterList, options.LearningRate);
        var epochLosses = new List<double>();
        long step = 0;
        var checkpoint = options.Checkpoint;
        var saved = new TrainingCheckpoint.State(parameterList.Select((p, i) => ($"parameter {i}", (Tensor)p)).ToList(), optimizer, generator);
        TrainingCheckpoint.Setting[] settings =
        [
            TrainingCheckpoint.Same("the batch size", options.BatchSize), TrainingCheckpoint.Same("the learning rate", options.LearningRate),
            TrainingCheckpoint.Same("the seed", options.Seed), TrainingCheckpoint.Same("the number of training rows", rows),
            TrainingCheckpoint.Same("the objective", objective),
        ];
        TrainingCheckpoint.Header Describe() =>
            TrainingCheckpoint.Describe(CheckpointKind.VaeFamily, saved, epochLosses.Count, step, settings, epochLosses: epochLosses);
        if (checkpoint is { Resume: true } && File.Exists(checkpoint.Path))
        {
            var restored = TrainingCheckpoint.Load(checkpoint.Path, Describe(), saved);
            // A checkpoint at or past the requested epochs trains no further: its losses describe the loaded state.
            epochLosses.AddRange(restored.EpochLosses!);
            step = restored.Steps;
        }
        for (int epoch = epochLosses.Count + 1; epoch <= options.Epochs; epoch++)
        {
            // TorchSharp exposes no CUDA generator state to checkpoint: with a checkpoint, reseed it per epoch so resumed runs draw alike.
            if (checkpoint is not null && cuda.is_available()) cuda.manual_seed_all(options.Seed * 1_000_003 + epoch);
            using var permutation = randperm(rows, generator: generator);
            double sum = 0;
            long count = 0;
            for (long start = 0; start < rows; start += options.BatchSize, step++)
            {
                using var scope = NewDisposeScope();
                Tensor batch = permutation[TensorIndex.Slice(start, Math.Min(rows, start + options.BatchSize))];
                optimizer.zero_grad();
                Tensor value = loss(batch, step);
                double v = value.ToDouble();   // the one read-back per step (it also detects NaN)
                if (!double.IsFinite(v))
                    throw new TrainingDivergedException($"{nameof(VaeTraining)}: the loss became {v} at epoch {epoch}, step {step}. " +
                        "Lower the learning rate, check the data for NaN or out-of-support values, or bound the decoder's log-scale.",
                        step + 1, epoch, v);
                value.backward();
                optimizer.step();
                sum += v * batch.shape[0];
                count += batch.shape[0];
            }
            epochLosses.Add(sum / count);
            if (checkpoint is not null && (epoch % checkpoint.EveryEpochs == 0 || epoch == options.Epochs))
                TrainingCheckpoint.Write(checkpoint.Path, Describe(), saved);
            progress?.Invoke(epoch, sum / count);
        }
        return epochLosses;
    }
}
