using BayesDL.Inference;
using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Passes predictions through and then returns freed native memory to the OS (<see cref="ProcessMemory.ReleaseFreedNativeMemory"/>),
/// so the peak RSS of a long evaluation reflects what it holds, not what glibc kept from earlier predictions.
/// </summary>
internal sealed class TrimmingPredictor(IStochasticPredictor inner) : IStochasticPredictor
{
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        var result = inner.Predict(inputs, samples);
        ProcessMemory.ReleaseFreedNativeMemory();
        return result;
    }
}
