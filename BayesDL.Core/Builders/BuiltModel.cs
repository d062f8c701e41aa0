using BayesDL.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// A built, validated model: the TorchSharp network, its per-example input and output shapes, the
/// declared likelihood (null when none was declared) and the compute policy it lives under.
/// </summary>
public sealed record BuiltModel(nn.Module<Tensor, Tensor> Network, long[] InputShape, long[] OutputShape,
                                LikelihoodSpec? Likelihood, ComputePolicy Policy) : IDisposable
{
    /// <summary>The network's output f(x) for a batch x of shape [batch, ..InputShape].</summary>
    public Tensor Forward(Tensor x) => Network.forward(x);

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();
}
