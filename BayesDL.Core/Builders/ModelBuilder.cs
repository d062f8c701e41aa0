namespace BayesDL.Builders;

/// <summary>
/// Entry point of the fluent model API:
/// <c>ModelBuilder.Sequential().Linear(784, 400).Relu().Linear(400, 10).WithLikelihood(Likelihoods.Categorical()).Build()</c>.
/// </summary>
public static class ModelBuilder
{
    /// <summary>An empty feed-forward declaration.</summary>
    public static SequentialBuilder Sequential() => SequentialBuilder.Empty;

    /// <summary>An empty declaration with a fixed per-example input shape, e.g. <c>Sequential(1, 28, 28)</c>.</summary>
    public static SequentialBuilder Sequential(params long[] inputShape) => SequentialBuilder.Empty.Input(inputShape);
}
