using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// Adam's update of one small CPU parameter in a single pass over its memory, the role PyTorch's fused CPU Adam kernel plays:
/// per element, m ← m + (1 − β1)(g − m), v ← β2 v + (1 − β2) g², θ ← θ + s · m / (√v + c), with the step size s and shift c
/// of <see cref="InPlaceAdamStep"/>. Runs on the calling thread through spans over the tensors' memory, vectorised with
/// <see cref="Vector{T}"/>. Only for parameters below <see cref="MaxElements"/>: there libtorch runs each of the six tensor
/// operations on one thread too, at a fixed cost of microseconds per call, so one pass does strictly less work. Larger ones go to
/// libtorch's fused kernel (<see cref="LibTorchFusedAdam"/>), which splits them over its threads: in processes where the whole
/// step ran slower (on this shared machine, about half of them; not explained), this single pass on one thread over the VAE's
/// 650,000 parameters took 2.6 ms against 2.0 ms for TorchSharp's eight passes on two threads (0.6 against 1.3-1.6 ms in the
/// other processes), and a .NET parallel loop beside libtorch's OpenMP threads gained nothing (docs/benchmarks.md).
/// </summary>
internal static class FusedAdamKernel
{
    /// <summary>libtorch's grain for element-wise loops (at::internal::GRAIN_SIZE): below it an operation runs on one thread.</summary>
    public const long MaxElements = 32_768;

    /// <summary>
    /// Applies the update when all four tensors are dense, contiguous float32 or float64 CPU tensors of one dtype and size,
    /// smaller than <see cref="MaxElements"/>; returns false, touching nothing, otherwise (the caller then takes the
    /// tensor-operation path, as on a GPU).
    /// </summary>
    public static bool TryStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
        double beta1, double beta2, double shift, double stepSize)
    {
        if (parameter.device_type != DeviceType.CPU || parameter.numel() >= MaxElements ||
            !DenseAlike(parameter, gradient, firstMoment, secondMoment))
            return false;
        if (parameter.dtype == ScalarType.Float32)
            Run<float>(parameter, gradient, firstMoment, secondMoment, beta1, beta2, shift, stepSize);
        else Run<double>(parameter, gradient, firstMoment, secondMoment, beta1, beta2, shift, stepSize);
        // The writes went around libtorch: an in-place operation on one element bumps the parameter's version counter, so a graph
        // that saved the old values still fails loudly in backward, as after any optimizer step, instead of using the new ones.
        using (var first = parameter.view(-1).narrow(0, 0, 1)) first.mul_(1);
        return true;
    }

    /// <summary>
    /// True when the four tensors are dense and contiguous (both kernels walk raw memory), of one float32 or float64 dtype and
    /// one size, on the parameter's device: the condition of this kernel and of <see cref="LibTorchFusedAdam"/>.
    /// </summary>
    public static bool DenseAlike(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment)
    {
        ScalarType dtype = parameter.dtype;
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64)) return false;
        long n = parameter.numel();
        foreach (Tensor t in (ReadOnlySpan<Tensor>)[parameter, gradient, firstMoment, secondMoment])
            if (t.dtype != dtype || t.device_type != parameter.device_type || t.device_index != parameter.device_index ||
                t.is_sparse || t.numel() != n || !t.is_contiguous())
                return false;
        return true;
    }

    /// <summary>The update in <typeparamref name="T"/>: vector lanes, then the scalar tail with the same operations (so each element
    /// gets the same bits wherever it falls). Compiled optimised from its first call: tiered compilation first runs it as
    /// unoptimised code, whose generic vector operations are calls, and a training process keeps compiling new methods, which
    /// postpones the promotion (all the VAE's parameters: still 0.58 ms per step after 240 steps, against 0.28-0.34 ms).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run<T>(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
        double beta1, double beta2, double shiftValue, double stepSizeValue) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> theta = Elements<T>(parameter), m = Elements<T>(firstMoment), v = Elements<T>(secondMoment);
        ReadOnlySpan<T> g = Elements<T>(gradient);
        int count = theta.Length;
        T gain1 = T.CreateTruncating(1 - beta1), decay2 = T.CreateTruncating(beta2), gain2 = T.CreateTruncating(1 - beta2);
        T shift = T.CreateTruncating(shiftValue), stepSize = T.CreateTruncating(stepSizeValue);
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

    static Span<T> Elements<T>(Tensor t) where T : unmanaged => MemoryMarshal.Cast<byte, T>(t.bytes);
}
