using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>Factories for the Monte Carlo dropout layers, in the style of <c>torch.nn</c>.</summary>
public static class McLayers
{
    /// <summary>Element-wise MC dropout with drop probability <paramref name="p"/> (stays on in evaluation mode).</summary>
    public static MCDropout MCDropout(double p = 0.5, string name = "MCDropout") => new(p, name);

    /// <summary>Channel-wise MC dropout for feature maps [N, C, *] (stays on in evaluation mode).</summary>
    public static MCSpatialDropout MCSpatialDropout(double p = 0.2, string name = "MCSpatialDropout") => new(p, name);

    /// <summary>Concrete dropout on the inputs of <paramref name="layer"/> (Linear or Conv) with a learned probability.</summary>
    public static ConcreteDropout ConcreteDropout(nn.Module<Tensor, Tensor> layer, ConcreteDropoutOptions? options = null, string name = "ConcreteDropout") =>
        new(layer, options ?? new ConcreteDropoutOptions(), name);
}
