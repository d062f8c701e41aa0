namespace BayesDL.Training;

/// <summary>
/// Training stopped because the loss became NaN or infinite: the message names the loop, the step, the epoch, the last
/// finite loss and the usual fixes (a lower learning rate, finite inputs, a smaller initial posterior std). Every training
/// loop throws this one type, so callers (the F# DSL's <c>Result</c>, the CLI) can tell a diverged fit from a bug.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for a loss of <paramref name="loss"/> at <paramref name="step"/> (from 1) of
    /// <paramref name="epoch"/>.</summary>
    public TrainingDivergedException(string message, long step, int epoch, double loss) : base(message)
    {
        Step = step;
        Epoch = epoch;
        Loss = loss;
    }

    /// <summary>The optimizer step (counted from 1 over the whole fit) whose loss was not finite.</summary>
    public long Step { get; }

    /// <summary>The epoch (from 1) of that step.</summary>
    public int Epoch { get; }

    /// <summary>The loss it reached: NaN or an infinity.</summary>
    public double Loss { get; }
}
