using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// Adam's update of many parameters in one call into libtorch's fused Adam kernel (<c>torch._fused_adam_</c>, the kernel behind
/// PyTorch's <c>Adam(fused=True)</c>): per element, in one pass over its memory, m ← β1 m + (1 − β1) g,
/// v ← β2 v + (1 − β2) g², θ ← θ − η/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε), vectorised and split over libtorch's threads.
/// TorchSharp 0.107 does not bind the operator, so it is reached through a one-line TorchScript function compiled once per
/// process (<c>torch.jit.compile</c>). Used by <see cref="InPlaceAdamStep"/> for dense float32/float64 CPU and CUDA parameters
/// too large for <see cref="FusedAdamKernel"/>: a call costs tens of microseconds, more than the host kernel's pass over a few
/// thousand elements (a lone UCI network 8-50-1: 817-828 against 768-785 us per training step when every parameter took it).
/// </summary>
internal static class LibTorchFusedAdam
{
    // TorchScript's parser takes a signature or a call on one line only, hence the concatenation.
    const string Script =
        "def adam_step(p: List[Tensor], g: List[Tensor], m: List[Tensor], v: List[Tensor], t: List[Tensor], " +
        "lr: float, beta1: float, beta2: float, eps: float):\n" +
        "    torch._fused_adam_(p, g, m, v, [], t, lr=lr, beta1=beta1, beta2=beta2, weight_decay=0.0, eps=eps, " +
        "amsgrad=False, maximize=False)\n" +
        // The kernel's writes leave the version counters alone; an in-place operation on one element bumps each parameter's,
        // so a graph that saved the old values still fails loudly in backward, as after any optimizer step.
        "    for x in p:\n" +
        "        if x.numel() > 0:\n" +
        "            x.view(-1).narrow(0, 0, 1).mul_(1.0)\n";

    static readonly Lazy<jit.CompilationUnit> Compiled = new(() => jit.compile(Script));

    /// <summary>One parameter's tensors and its step count t (already advanced for this step).</summary>
    public readonly record struct Entry(Tensor Parameter, Tensor Gradient, Tensor FirstMoment, Tensor SecondMoment, long Step);

    /// <summary>
    /// True when the kernel can take these tensors: <see cref="FusedAdamKernel.DenseAlike"/> (dense, contiguous, one float32 or
    /// float64 dtype and size), on the CPU or a CUDA device.
    /// </summary>
    public static bool Accepts(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment) =>
        parameter.device_type is DeviceType.CPU or DeviceType.CUDA &&
        FusedAdamKernel.DenseAlike(parameter, gradient, firstMoment, secondMoment);

    /// <summary>
    /// One Adam step of every entry (each accepted by <see cref="Accepts"/>) with rate <paramref name="rate"/>, as PyTorch's fused
    /// Adam groups them: one kernel call per device and dtype, each parameter reading its own step count.
    /// </summary>
    public static void Step(IReadOnlyList<Entry> entries, double rate, double beta1, double beta2, double eps)
    {
        if (entries.Count == 0) return;
        using var noGrad = no_grad();
        foreach (var batch in entries.GroupBy(e => (e.Parameter.device_type, e.Parameter.device_index, e.Parameter.dtype)))
        {
            var list = batch.ToArray();
            var device = list[0].Parameter.device;
            // The kernel reads t from a float32 tensor per parameter; parameters at the same step share one.
            var steps = list.Select(e => e.Step).Distinct().ToDictionary(t => t, t => tensor((float)t, device: device));
            try
            {
                Compiled.Value.invoke("adam_step",
                    list.Select(e => e.Parameter).ToArray(), list.Select(e => e.Gradient).ToArray(),
                    list.Select(e => e.FirstMoment).ToArray(), list.Select(e => e.SecondMoment).ToArray(),
                    list.Select(e => steps[e.Step]).ToArray(), rate, beta1, beta2, eps);
            }
            finally
            {
                foreach (var t in steps.Values) t.Dispose();
            }
        }
    }
}
