using static TorchSharp.torch;

namespace BayesDL.Engine;

/// <summary>
/// A tensor's shape read with one native call per dimension. TorchSharp's <c>Tensor.shape</c> (0.107.0) fetches the sizes
/// through a callback into managed code that allocates and pins the array: about 0.56 us against 0.006 us for <c>dim()</c>
/// and 0.025 us for <c>size(i)</c> (measured in <c>dotnet fsi</c>, 200,000 calls). A model's log density checks the shapes
/// of every site at every evaluation, some thirty reads on a three-site model, which made them several percent of a
/// gradient's cost; these paths read shapes here.
/// </summary>
internal static class TensorShape
{
    /// <summary>The sizes of <paramref name="tensor"/>'s dimensions, as <c>Tensor.shape</c> gives them.</summary>
    internal static long[] Of(Tensor tensor)
    {
        var shape = new long[tensor.dim()];
        for (int i = 0; i < shape.Length; i++) shape[i] = tensor.size(i);
        return shape;
    }

    /// <summary>True when <paramref name="tensor"/> has exactly the shape <paramref name="expected"/>.</summary>
    internal static bool Is(Tensor tensor, ReadOnlySpan<long> expected)
    {
        if (tensor.dim() != expected.Length) return false;
        for (int i = 0; i < expected.Length; i++)
            if (tensor.size(i) != expected[i]) return false;
        return true;
    }
}
