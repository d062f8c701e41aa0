namespace BayesDL.Objectives;

/// <summary>Where a minibatch lies in training, for KL schedules.</summary>
/// <param name="GlobalStep">Optimizer steps taken before this one (0-based).</param>
/// <param name="BatchIndex">Index of the minibatch within its epoch (0-based).</param>
/// <param name="BatchesPerEpoch">M, minibatches per epoch.</param>
public sealed record BatchPosition(long GlobalStep = 0, int BatchIndex = 0, int BatchesPerEpoch = 1)
{
    /// <summary>The single batch of full-batch training.</summary>
    public static BatchPosition FullBatch { get; } = new();
}
