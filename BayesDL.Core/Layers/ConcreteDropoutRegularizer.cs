using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>The sum of the <see cref="ConcreteDropout.Regularizer"/> terms of every concrete dropout layer in a model.</summary>
public static class ConcreteDropoutRegularizer
{
    /// <summary>
    /// Σ_layers R_l, a scalar tensor to add to the per-example (mean) loss; throws when the model has no
    /// <see cref="ConcreteDropout"/> layer, since then nothing would be learned about p.
    /// </summary>
    public static Tensor Total(nn.Module model)
    {
        var layers = Layers(model);
        Validation.Check.Argument(layers.Count > 0, nameof(ConcreteDropoutRegularizer), nameof(model),
            "a model without ConcreteDropout layers",
            "a model containing at least one ConcreteDropout layer", "Wrap weight layers with BayesNN.ConcreteDropout(layer, options).");
        using var scope = NewDisposeScope();
        Tensor total = layers[0].Regularizer();
        for (int i = 1; i < layers.Count; i++) total = total + layers[i].Regularizer();
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>The concrete dropout layers of a model (itself included) in registration order.</summary>
    public static IReadOnlyList<ConcreteDropout> Layers(nn.Module model)
    {
        var found = new List<ConcreteDropout>();
        if (model is ConcreteDropout self) found.Add(self);
        foreach (var (_, child) in model.named_modules())
            if (child is ConcreteDropout c && !ReferenceEquals(c, model)) found.Add(c);
        return found;
    }
}
