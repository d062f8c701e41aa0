using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// How a built model's deterministic weight layers (<c>Linear</c>, <c>Conv2d</c>) draw their starting weights, with fan_in =
/// inputs x kernel area and fan_out = outputs x kernel area. Bayesian layers keep their own posterior initialisation. The choice
/// matters to reproductions: a network written in Keras starts from <see cref="GlorotUniform"/>, one in PyTorch from
/// <see cref="TorchDefault"/>, and the two train to measurably different fits on small data (the UCI MC dropout rows,
/// docs/benchmarks.md).
/// </summary>
public enum WeightInitialization
{
    /// <summary>
    /// TorchSharp's (and PyTorch's) own: W ~ U(−1/√fan_in, 1/√fan_in) (Kaiming uniform with a = √5) and
    /// b ~ U(−1/√fan_in, 1/√fan_in).
    /// </summary>
    TorchDefault,

    /// <summary>
    /// Glorot &amp; Bengio 2010 ("Xavier uniform", Keras's default): W ~ U(−a, a) with a = √(6 / (fan_in + fan_out)), so
    /// Var W = 2 / (fan_in + fan_out); b = 0.
    /// </summary>
    GlorotUniform,

    /// <summary>He et al. 2015 (Kaiming normal for ReLU, fan-in mode): W ~ N(0, 2 / fan_in); b = 0.</summary>
    HeNormal,
}

/// <summary>Applies a <see cref="WeightInitialization"/> to a freshly made weight layer.</summary>
internal static class WeightInitializer
{
    /// <summary>
    /// Redraws <paramref name="layer"/>'s weight and bias in place under <paramref name="initialization"/> (from the engine's
    /// generator, so the seed decides them); <see cref="WeightInitialization.TorchDefault"/> keeps the module's own draw.
    /// </summary>
    internal static nn.Module<Tensor, Tensor> Apply(nn.Module<Tensor, Tensor> layer, WeightInitialization initialization)
    {
        if (initialization == WeightInitialization.TorchDefault) return layer;
        var (weight, bias) = layer switch
        {
            Linear l => (l.weight!, l.bias),
            Conv2d c => (c.weight!, c.bias),
            _ => throw new ArgumentException(
                $"WeightInitialization: a {layer.GetType().Name} is not a dense or convolutional weight layer.", nameof(layer)),
        };
        using (no_grad())
        {
            if (initialization == WeightInitialization.GlorotUniform)
                nn.init.xavier_uniform_(weight, gain: 1.0);
            else
                nn.init.kaiming_normal_(weight, a: 0, mode: nn.init.FanInOut.FanIn, nonlinearity: nn.init.NonlinearityType.ReLU);
            if (bias is not null) nn.init.zeros_(bias);
        }
        return layer;
    }
}
