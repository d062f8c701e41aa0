namespace BayesDL.Builders;

/// <summary>Per-example tensor shapes (batch dimension excluded) as the builder tracks them.</summary>
public static class Shapes
{
    /// <summary>A shape written as on the slides, e.g. <c>[1, 28, 28]</c>.</summary>
    public static string Format(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The number of elements of one example of this shape.</summary>
    public static long Elements(IReadOnlyList<long> shape) => shape.Aggregate(1L, (a, b) => a * b);

    internal static bool Same(IReadOnlyList<long> a, IReadOnlyList<long> b) => a.SequenceEqual(b);
}
