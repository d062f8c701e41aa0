using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// Adam's update of one CPU parameter in a single pass over its memory, the role PyTorch's fused CPU Adam kernel plays:
/// per element, m ← m + (1 − β1)(g − m), v ← β2 v + (1 − β2) g², θ ← θ + s · m / (√v + c), with the step size s and shift c
/// of <see cref="InPlaceAdamStep"/>. Reading θ, g, m, v once and writing θ, m, v once, instead of the sixteen array passes of
/// the six tensor operations, is what makes the step cheap after a backward pass has pushed the optimizer state out of the
/// caches. Runs on the host through spans over the tensors' memory (vectorised with <see cref="Vector{T}"/>), split into
/// chunks over as many threads as the engine uses.
/// </summary>
internal static class FusedAdamKernel
{
    /// <summary>Elements below which a chunk is not worth a thread (libtorch's own grain for element-wise loops is 32,768).</summary>
    const int MinElementsPerChunk = 1 << 16;

    /// <summary>
    /// Applies the update when all four tensors are dense, contiguous float32 or float64 CPU tensors of one dtype and size;
    /// returns false, touching nothing, otherwise (the caller then takes the tensor-operation path, as on a GPU).
    /// </summary>
    public static bool TryStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
        double beta1, double beta2, double shift, double stepSize, int threads)
    {
        ScalarType dtype = parameter.dtype;
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64)) return false;
        long n = parameter.numel();
        if (n > int.MaxValue) return false;
        foreach (Tensor t in (ReadOnlySpan<Tensor>)[parameter, gradient, firstMoment, secondMoment])
            if (t.device_type != DeviceType.CPU || t.dtype != dtype || t.is_sparse || t.numel() != n || !t.is_contiguous())
                return false;
        var step = new Step(parameter, gradient, firstMoment, secondMoment, beta1, beta2, shift, stepSize);
        int chunks = (int)Math.Min(Math.Max(1, threads), n / MinElementsPerChunk);
        if (chunks <= 1) step.Run(0, (int)n, dtype);
        else
        {
            int size = (int)((n + chunks - 1) / chunks);
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks },
                c => step.Run(c * size, (int)Math.Min(size, n - (long)c * size), dtype));
        }
        // The writes went around libtorch: an in-place operation on one element bumps the parameter's version counter, so a graph
        // that saved the old values still fails loudly in backward, as after any optimizer step, instead of using the new ones.
        using (var first = parameter.view(-1).narrow(0, 0, 1)) first.mul_(1);
        return true;
    }

    /// <summary>One parameter's tensors and constants; spans are taken per chunk (a span cannot cross into a lambda).</summary>
    sealed record Step(Tensor Parameter, Tensor Gradient, Tensor FirstMoment, Tensor SecondMoment,
        double Beta1, double Beta2, double Shift, double StepSize)
    {
        public void Run(int start, int count, ScalarType dtype)
        {
            if (dtype == ScalarType.Float32) Run<float>(start, count);
            else Run<double>(start, count);
        }

        void Run<T>(int start, int count) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Span<T> theta = Elements<T>(Parameter, start, count), m = Elements<T>(FirstMoment, start, count),
                v = Elements<T>(SecondMoment, start, count);
            ReadOnlySpan<T> g = Elements<T>(Gradient, start, count);
            T gain1 = T.CreateTruncating(1 - Beta1), decay2 = T.CreateTruncating(Beta2), gain2 = T.CreateTruncating(1 - Beta2);
            T shift = T.CreateTruncating(Shift), stepSize = T.CreateTruncating(StepSize);
            int i = 0;
            if (Vector.IsHardwareAccelerated && count >= Vector<T>.Count)
            {
                Vector<T> vGain1 = new(gain1), vDecay2 = new(decay2), vGain2 = new(gain2), vShift = new(shift), vStep = new(stepSize);
                for (; i <= count - Vector<T>.Count; i += Vector<T>.Count)
                {
                    Vector<T> gi = new(g[i..]), mi = new(m[i..]);
                    mi += vGain1 * (gi - mi);
                    Vector<T> vi = vDecay2 * new Vector<T>(v[i..]) + vGain2 * gi * gi;
                    Vector<T> ti = new Vector<T>(theta[i..]) + vStep * mi / (Vector.SquareRoot(vi) + vShift);
                    mi.CopyTo(m[i..]);
                    vi.CopyTo(v[i..]);
                    ti.CopyTo(theta[i..]);
                }
            }
            for (; i < count; i++)
            {
                T mi = m[i] + gain1 * (g[i] - m[i]);
                T vi = decay2 * v[i] + gain2 * g[i] * g[i];
                m[i] = mi;
                v[i] = vi;
                theta[i] += stepSize * mi / (T.Sqrt(vi) + shift);
            }
        }

        static Span<T> Elements<T>(Tensor t, int start, int count) where T : unmanaged =>
            MemoryMarshal.Cast<byte, T>(t.bytes).Slice(start, count);
    }
}
