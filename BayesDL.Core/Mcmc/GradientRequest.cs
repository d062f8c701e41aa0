namespace BayesDL.Mcmc;

/// <summary>
/// A position whose log density and gradient a chain needs: yielded by a trajectory coroutine (<see cref="Leapfrog.Step"/>,
/// <see cref="NutsTrajectory"/>, <see cref="StaticTrajectory"/>, <see cref="ChainRun"/>) and answered by the driver
/// (<see cref="AdaptiveSampler"/>), which evaluates the positions of all waiting chains in one batched call before resuming them.
/// </summary>
internal sealed class GradientRequest(double[] position)
{
    /// <summary>Where to evaluate.</summary>
    internal double[] Position { get; } = position;

    /// <summary>log p~ at <see cref="Position"/>, set by the driver.</summary>
    internal double LogDensity { get; private set; }

    /// <summary>grad log p~ at <see cref="Position"/>, set by the driver; null until answered.</summary>
    internal double[]? Gradient { get; private set; }

    internal void Answer(double logDensity, double[] gradient)
    {
        LogDensity = logDensity;
        Gradient = gradient;
    }

    /// <summary>The answered point with momentum <paramref name="momentum"/>; the coroutine resumed without an answer is a bug.</summary>
    internal PhasePoint With(double[] momentum) =>
        new(Position, momentum, Gradient ?? throw new InvalidOperationException("A chain resumed without the gradient it asked for."),
            LogDensity);
}
