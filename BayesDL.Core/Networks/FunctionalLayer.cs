using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// A layer's forward pass as a function of explicit weights, batched over S draws: <see cref="Forward"/> maps activations
/// h [S, batch, ...] and one tensor per entry of <see cref="Parameters"/>, each [S, ..shape], to the next activations
/// [S, batch, ...], so that for every draw s it equals the module's evaluation-mode forward of h[s] with weights p[s].
/// </summary>
/// <param name="Parameters">The weights, in the order they are packed into a flat parameter vector.</param>
/// <param name="Forward">(h, weights) -&gt; output.</param>
internal sealed record FunctionalLayer(IReadOnlyList<LayerParameter> Parameters, Func<Tensor, IReadOnlyList<Tensor>, Tensor> Forward);
