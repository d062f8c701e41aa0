using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// A layer with a variational posterior q over its parameters. The ELBO objective collects
/// <see cref="KL"/> from every such layer of a model (so forward passes return plain tensors).
/// </summary>
public interface IVariationalLayer
{
    /// <summary>KL(q || p) summed over the layer's stochastic parameters: a differentiable scalar.</summary>
    Tensor KL();

    /// <summary>
    /// Independent weight draws per forward pass: the input batch is read as this many equal groups, each
    /// with its own draw (for batched prediction and several weight samples per step). 1 by default.
    /// </summary>
    int WeightDraws { get; set; }
}
