using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// Adam's update (Kingma &amp; Ba 2015) applied to the parameters and state of a TorchSharp <see cref="Adam"/> optimizer with fewer
/// passes over memory. Per parameter with gradient g at its step t: m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g²,
/// θ ← θ − η/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε), TorchSharp's formula, equal to float rounding. Three paths, each one pass
/// or few: small dense float32/float64 CPU parameters take one pass on the host (<see cref="FusedAdamKernel"/>, no native call);
/// larger dense float32/float64 CPU and CUDA parameters take libtorch's fused kernel, all of a group in one call
/// (<see cref="LibTorchFusedAdam"/>, split over libtorch's threads); any other parameter (a non-contiguous gradient, another dtype
/// or device) takes six tensor operations with one temporary, θ ← θ − η √(1 − β2^t)/(1 − β1^t) · m / (√v + ε √(1 − β2^t)),
/// instead of TorchSharp's eight passes and two temporaries. vae-phases' Adam step: 2.5 ms as TorchSharp's, 1.5 ms with the six
/// operations, less with the fused kernel (docs/benchmarks.md). The moments and step counts stay in the optimizer's own state,
/// so checkpoints (its state dictionary) are those of TorchSharp's Adam. Groups with weight decay, AMSGrad or maximisation take
/// TorchSharp's own step.
/// </summary>
internal static class InPlaceAdamStep
{
    /// <summary>One Adam step of every parameter of <paramref name="adam"/> that has a gradient (parameters without one are not moved,
    /// and their step counts do not advance, as in TorchSharp's Adam).</summary>
    public static void Step(Adam adam)
    {
        var groups = adam.ParamGroups.Cast<Adam.ParamGroup>().ToList();
        if (groups.Any(g => g.Options is not Adam.Options { weight_decay: 0.0, amsgrad: false, maximize: false }))
        {
            adam.step();
            return;
        }
        // The state dictionary lists each group's parameters' states in order (TorchSharp's state_dict contract).
        var states = adam.state_dict().State;
        int index = 0;
        using var noGrad = no_grad();
        // lerp_ takes its weight as a tensor: one per dtype and device in this step (1 - beta1 is the same in every group
        // unless a group sets its own betas, which the key then includes).
        var weights = new Dictionary<(ScalarType, DeviceType, int, double), Tensor>();
        var fused = new List<LibTorchFusedAdam.Entry>();
        try
        {
            foreach (var group in groups)
            {
                var options = (Adam.Options)group.Options;
                double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value;
                double rate = options.LearningRate!.Value;
                using Scalar decay2 = beta2, gain2 = 1 - beta2;
                foreach (var parameter in group.Parameters)
                {
                    var state = (Adam.State)states[index++];
                    Tensor? gradient = parameter.grad;
                    if (gradient is null) continue;
                    state.step += 1;
                    double correction1 = 1 - Math.Pow(beta1, state.step), root2 = Math.Sqrt(1 - Math.Pow(beta2, state.step));
                    double shiftValue = eps * root2, stepSizeValue = -rate * root2 / correction1;
                    if (FusedAdamKernel.TryStep(parameter, gradient, state.exp_avg, state.exp_avg_sq, beta1, beta2, shiftValue,
                            stepSizeValue))
                    {
                        gradient.Dispose();
                        continue;
                    }
                    if (LibTorchFusedAdam.Accepts(parameter, gradient, state.exp_avg, state.exp_avg_sq))
                    {
                        fused.Add(new(parameter, gradient, state.exp_avg, state.exp_avg_sq, state.step));
                        continue;
                    }
                    using (gradient)
                    {
                        using Scalar shift = shiftValue, stepSize = stepSizeValue;
                        var key = (parameter.dtype, parameter.device_type, parameter.device_index, beta1);
                        if (!weights.TryGetValue(key, out Tensor? weight))
                            weights[key] = weight = tensor(1 - beta1, dtype: parameter.dtype, device: parameter.device);
                        state.exp_avg.lerp_(gradient, weight);
                        state.exp_avg_sq.mul_(decay2).addcmul_(gradient, gradient, gain2);
                        using Tensor denominator = state.exp_avg_sq.sqrt().add_(shift);
                        parameter.addcdiv_(state.exp_avg, denominator, stepSize);
                    }
                }
                LibTorchFusedAdam.Step(fused, rate, beta1, beta2, eps);
                foreach (var entry in fused) entry.Gradient.Dispose();
                fused.Clear();
            }
        }
        finally
        {
            foreach (var weight in weights.Values) weight.Dispose();
            foreach (var entry in fused) entry.Gradient.Dispose();
        }
    }
}
