namespace BayesDL.Builders;

/// <summary>Per-example tensor shapes (batch dimension excluded) as the builder tracks them.</summary>
public static class Shapes
{
    /// <summary>The number of elements of one example of this shape.</summary>
    public static long Elements(IReadOnlyList<long> shape) => shape.Aggregate(1L, (a, b) => a * b);

    internal static bool Same(IReadOnlyList<long> a, IReadOnlyList<long> b) => a.SequenceEqual(b);
}
