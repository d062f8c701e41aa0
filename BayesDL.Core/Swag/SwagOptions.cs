using System.Globalization;
using BayesDL.Training;
using BayesDL.Validation;

namespace BayesDL.Swag;

/// <summary>
/// Settings of a SWAG fit (Maddox et al. 2019): the one training loop (<see cref="Trainer"/>) runs SGD on the network's
/// negative log posterior (the prior is the weight decay) for <see cref="Epochs"/> epochs; after <see cref="BurnInEpochs"/> the weights are
/// collected (<see cref="SwagCollector"/>): with a constant learning rate <see cref="SnapshotsPerEpoch"/> times per epoch (the paper:
/// once, at the epoch's end), with <see cref="Cycles"/> &gt; 0 under a cyclic cosine rate (<see cref="LearningRateSchedule.Cyclic"/>) at
/// the end of each cycle, where the rate is lowest. The network must be BatchNorm-free (the layer kinds have none; the paper's
/// BatchNorm statistics update is not needed).
/// </summary>
/// <param name="Rank">K, the deviations kept for the low-rank part (the paper's 20); at most the snapshots collected.</param>
/// <param name="Epochs">Passes over the training set in all, burn-in included.</param>
/// <param name="BurnInEpochs">Epochs trained before the first snapshot (start from a trained network and this may be 0).</param>
/// <param name="BatchSize">Rows per minibatch.</param>
/// <param name="LearningRate">The SGD rate (constant, or the top of each cycle); the paper uses a constant high rate.</param>
/// <param name="Optimizer">SGD or SGD with Nesterov momentum (the paper uses momentum 0.9).</param>
/// <param name="Cycles">0: constant rate; c &gt; 0: the rate cycles c times over the collection epochs and a snapshot ends each
/// cycle.</param>
/// <param name="SnapshotsPerEpoch">Snapshots per epoch under a constant rate, evenly spaced, the last at the epoch's end.</param>
/// <param name="Seed">The training core's seed (data order) and the seed of the posterior's draws.</param>
public sealed record SwagOptions(int Rank = 20, int Epochs = 30, int BurnInEpochs = 10, int BatchSize = 128, double LearningRate = 0.01,
                                 OptimizerKind Optimizer = OptimizerKind.SgdMomentum, int Cycles = 0, int SnapshotsPerEpoch = 1,
                                 long Seed = 0)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string who = nameof(SwagOptions);
        Check.Argument(Rank >= 2, who, nameof(Rank), Rank.ToString(CultureInfo.InvariantCulture), "a rank K >= 2",
            "Use the paper's K = 20, or fewer for short runs.");
        Check.Positive(Epochs, who, nameof(Epochs), "Pass the epochs of burn-in and collection together.");
        Check.Argument(BurnInEpochs >= 0 && BurnInEpochs < Epochs, who, nameof(BurnInEpochs),
            BurnInEpochs.ToString(CultureInfo.InvariantCulture),
            $"in [0, Epochs = {Epochs}) so that some epochs collect snapshots", "Lower the burn-in or raise Epochs.");
        Check.Positive(BatchSize, who, nameof(BatchSize), "Pass the rows per minibatch, e.g. 128.");
        Check.Positive(LearningRate, who, nameof(LearningRate), "SWAG uses a constant, fairly high SGD rate, e.g. 0.01-0.05.");
        Check.Argument(Optimizer is OptimizerKind.Sgd or OptimizerKind.SgdMomentum, who, nameof(Optimizer), Optimizer.ToString(),
            "Sgd or SgdMomentum (SWAG summarises the SGD trajectory)", "Use OptimizerKind.SgdMomentum.");
        Check.Argument(Cycles >= 0, who, nameof(Cycles), Cycles.ToString(CultureInfo.InvariantCulture),
            "0 (constant rate) or a number of cycles >= 1");
        Check.Positive(SnapshotsPerEpoch, who, nameof(SnapshotsPerEpoch), "The paper collects one snapshot per epoch.");
    }

    /// <summary>The snapshots this run collects with <paramref name="batchesPerEpoch"/> minibatches per epoch (see the record
    /// summary).</summary>
    public int ExpectedSnapshots(int batchesPerEpoch)
    {
        if (Cycles > 0)
        {
            long total = (long)Epochs * batchesPerEpoch, burnIn = (long)BurnInEpochs * batchesPerEpoch;
            long length = Schedule(batchesPerEpoch)!.CycleLength(total - burnIn);
            return (int)((total - burnIn) / length + ((total - burnIn) % length == 0 ? 0 : 1));
        }
        return (Epochs - BurnInEpochs) * Math.Min(SnapshotsPerEpoch, batchesPerEpoch);
    }

    /// <summary>
    /// The collection steps' schedule: null for a constant rate; for cycles, cosine cycles over the steps after the burn-in (the
    /// burn-in itself runs at the top rate).
    /// </summary>
    internal LearningRateSchedule? Schedule(int batchesPerEpoch) => Cycles > 0 ? LearningRateSchedule.Cyclic(Cycles) : null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the rank and the snapshots when K exceeds what the run collects.</summary>
    internal void CheckRank(int batchesPerEpoch)
    {
        int snapshots = ExpectedSnapshots(batchesPerEpoch);
        Check.Argument(Rank <= snapshots, nameof(SwagOptions), nameof(Rank), $"rank K = {Rank}",
            $"at most the {snapshots} snapshots this run collects ({Epochs - BurnInEpochs} epochs after the burn-in of {BurnInEpochs}, " +
            (Cycles > 0 ? $"one per cycle of {Cycles})" : $"{Math.Min(SnapshotsPerEpoch, batchesPerEpoch)} per epoch)"),
            $"Lower Rank to {snapshots} or collect more snapshots (more epochs, or more per epoch).");
    }
}
