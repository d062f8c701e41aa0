using BayesDL.Validation;

namespace BayesDL.Objectives;

/// <summary>
/// The share of KL(q || p) a minibatch carries. The ELBO of N examples is sum_i E_q[log p(y_i | x_i, w)] - KL;
/// splitting an epoch into minibatches with shares pi_b that sum to 1 keeps the sum of minibatch ELBOs equal to the
/// full ELBO. Constant: pi_b = beta * B_b / N (beta = 1 is the true ELBO; this is the default and the right KL/N
/// per-example scaling). LinearWarmup: beta = final * min(1, (step + 1) / warmupSteps) (Bowman et al. 2016;
/// Sønderby et al. 2016). Blundell: pi_i = 2^(M-i) / (2^M - 1) for batch i = 1..M of an epoch, front-loading
/// the prior (Blundell et al. 2015).
/// </summary>
/// <param name="Kind">The schedule.</param>
/// <param name="Weight">beta (Constant) or the final beta (LinearWarmup).</param>
/// <param name="WarmupSteps">Steps of the linear ramp.</param>
public sealed record KLSchedule(KLScheduleKind Kind = KLScheduleKind.Constant, double Weight = 1.0, long WarmupSteps = 0)
{
    /// <summary>pi_b = weight * B_b / N.</summary>
    public static KLSchedule Constant(double weight = 1.0)
    {
        Check.Argument(double.IsFinite(weight) && weight >= 0, nameof(KLSchedule), nameof(weight), weight.ToString("R"), ">= 0 and finite");
        return new(KLScheduleKind.Constant, weight);
    }

    /// <summary>pi_b = finalWeight * min(1, (step + 1) / steps) * B_b / N.</summary>
    public static KLSchedule LinearWarmup(long steps, double finalWeight = 1.0)
    {
        Check.Positive(steps, nameof(KLSchedule), nameof(steps));
        Check.Argument(double.IsFinite(finalWeight) && finalWeight >= 0, nameof(KLSchedule), nameof(finalWeight),
            finalWeight.ToString("R"), ">= 0 and finite");
        return new(KLScheduleKind.LinearWarmup, finalWeight, steps);
    }

    /// <summary>pi_i = 2^(M-i) / (2^M - 1), i = 1..M.</summary>
    public static KLSchedule Blundell() => new(KLScheduleKind.Blundell);

    /// <summary>The share of the KL for one minibatch.</summary>
    /// <param name="position">Where the minibatch lies in training.</param>
    /// <param name="batchSize">B_b, rows of this minibatch.</param>
    /// <param name="datasetSize">N, rows of the training set.</param>
    public double Share(BatchPosition position, long batchSize, long datasetSize)
    {
        Check.Positive(datasetSize, nameof(KLSchedule), nameof(datasetSize));
        Check.Argument(batchSize > 0 && batchSize <= datasetSize, nameof(KLSchedule), nameof(batchSize), batchSize.ToString(),
            $"in [1, {datasetSize}] (the training-set size N)", "Pass the size of the whole training set as N, not the batch size.");
        double fraction = (double)batchSize / datasetSize;
        return Kind switch
        {
            KLScheduleKind.Constant => Weight * fraction,
            KLScheduleKind.LinearWarmup => Weight * Math.Min(1.0, (position.GlobalStep + 1.0) / WarmupSteps) * fraction,
            // 2^(M-i)/(2^M-1) = 2^-i / (1 - 2^-M): no overflow for large M.
            _ => Math.Pow(2, -(position.BatchIndex + 1)) / (1 - Math.Pow(2, -position.BatchesPerEpoch)),
        };
    }
}
