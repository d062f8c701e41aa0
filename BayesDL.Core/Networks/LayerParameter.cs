using BayesDL.Layers;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// One weight tensor of a layer's functional form.
/// </summary>
/// <param name="Name">Its name, e.g. <c>weight</c>, <c>bias</c>.</param>
/// <param name="Shape">Its shape for one draw, e.g. [out, in].</param>
/// <param name="Value">The module's current value of it (a live view: the weight of a deterministic layer, the posterior mean of a
/// Bayesian one).</param>
/// <param name="Prior">The prior the layer declares on it (Bayesian layers), null when the network's default applies.</param>
public sealed record LayerParameter(string Name, long[] Shape, Tensor Value, PriorSpec? Prior)
{
    /// <summary>The number of entries, the product of <see cref="Shape"/>.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}
