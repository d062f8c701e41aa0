namespace BayesDL.Data;

/// <summary>
/// One train/test split of a <see cref="RegressionDataset"/>, standardised by its training rows
/// (<see cref="Scaling"/>): fit on <see cref="Train"/>, predict <see cref="Test"/>'s inputs, and score the predictive on
/// the original scale against <see cref="TestTargets"/> (<c>BayesDL.Metrics.RegressionScores.Compute(predictive, split)</c>).
/// Owns its tensors: dispose it when done.
/// </summary>
public sealed class RegressionSplit : IDisposable
{
    internal RegressionSplit(int index, int[] trainRows, int[] testRows, Standardization scaling, LabeledData train,
        LabeledData test, double[] testTargets)
    {
        Index = index; TrainRows = trainRows; TestRows = testRows; Scaling = scaling; Train = train; Test = test; TestTargets = testTargets;
    }

    /// <summary>The split's index in the splits file.</summary>
    public int Index { get; }

    /// <summary>The table's rows used for training (0-based).</summary>
    public IReadOnlyList<int> TrainRows { get; }

    /// <summary>The table's rows held out for testing (0-based).</summary>
    public IReadOnlyList<int> TestRows { get; }

    /// <summary>The training rows' means and standard deviations.</summary>
    public Standardization Scaling { get; }

    /// <summary>Standardised training inputs [n, D] and targets [n, 1].</summary>
    public LabeledData Train { get; }

    /// <summary>Test inputs [m, D] and targets [m, 1], standardised with the training rows' statistics.</summary>
    public LabeledData Test { get; }

    /// <summary>The test targets on the original scale, in the order of <see cref="TestRows"/>.</summary>
    public IReadOnlyList<double> TestTargets { get; }

    /// <inheritdoc/>
    public void Dispose() { Train.Dispose(); Test.Dispose(); }
}
