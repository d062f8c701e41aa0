using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Where dropout layers get their 0/1 keep masks. By default each mask element is an independent
/// Bernoulli(1 - p) draw from the global generator (seed it with <see cref="Engine.NativeEngine.Seed"/>).
/// A layer's <c>MaskSource</c> can replace the draw with explicit masks so two prediction paths can be
/// compared with identical masks.
/// </summary>
internal static class DropoutMask
{
    /// <summary>
    /// A keep mask of <paramref name="shape"/> with entries 1 with probability <paramref name="keep"/>, else 0.
    /// When keep = m / 2^k exactly with k &lt;= 6 (p = 0.5, 0.25, 0.75, ...) the mask is read from random bits: each
    /// uniform 30-bit integer from the generator yields ⌊30 / k⌋ independent k-bit integers b, and [b &lt; m] is exactly
    /// Bernoulli(m / 2^k), so p = 0.5 needs one generator call per 30 mask elements. Otherwise it is [U &lt; keep] with
    /// U ~ U[0, 1), exact up to the generator's resolution (2^-24 in float32). Mask draws dominate MC-dropout prediction
    /// on the CPU (a float draw per element cost about as much as the 400x400 matrix product it feeds), hence the bit path.
    /// </summary>
    public static Tensor Draw(long[] shape, double keep, Tensor like)
    {
        if (!Dyadic(keep, out int k, out long m))
        {
            using var u = rand(shape, like.dtype, like.device);
            return u.lt(keep).to(like.dtype);
        }
        using var scope = NewDisposeScope();
        long total = shape.Aggregate(1L, (a, b) => a * b);
        int perWord = 30 / k;
        long words = (total + perWord - 1) / perWord;
        Tensor bits = randint(0, 1L << 30, new[] { words, 1L }, ScalarType.Int32, like.device);
        Tensor shifts = arange(0, perWord * k, k, ScalarType.Int32, like.device);
        Tensor fields = bits.bitwise_right_shift(shifts).bitwise_and((1 << k) - 1);
        return fields.lt(m).flatten().narrow(0, 0, total).view(shape).to(like.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>keep = m / 2^k with 1 &lt;= k &lt;= 6 and 0 &lt; m &lt; 2^k (the smallest such k).</summary>
    internal static bool Dyadic(double keep, out int k, out long m)
    {
        for (k = 1; k <= 6; k++)
        {
            double scaled = keep * (1 << k);
            m = (long)Math.Round(scaled);
            if (scaled == m && m > 0 && m < (1L << k)) return true;
        }
        k = 0; m = 0;
        return false;
    }

    /// <summary>
    /// The mask from <paramref name="source"/> if set, checked against the shape the layer needs, else a fresh draw.
    /// </summary>
    public static Tensor Get(Func<long[], Tensor>? source, long[] shape, double keep, Tensor like, string component)
    {
        if (source is null) return Draw(shape, keep, like);
        Tensor mask = source(shape);
        Validation.Check.Argument(mask.shape.SequenceEqual(shape), component, "MaskSource",
            "a mask of shape " + Check.Shape(mask.shape), "a mask of shape " + Check.Shape(shape));
        return mask.to(like.dtype, like.device);
    }
}
