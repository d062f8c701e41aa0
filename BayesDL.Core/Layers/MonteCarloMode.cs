using TorchSharp;

namespace BayesDL.Layers;

/// <summary>Switches every <see cref="IMonteCarloLayer"/> inside a model at once.</summary>
public static class MonteCarloMode
{
    /// <summary>
    /// Sets <see cref="IMonteCarloLayer.MonteCarlo"/> on every Monte Carlo layer in <paramref name="model"/>
    /// (the model itself included) and returns how many layers were switched, so a caller can tell a
    /// model without MC layers (0) from one that has them.
    /// </summary>
    public static int Set(torch.nn.Module model, bool enabled)
    {
        int count = 0;
        foreach (var m in Layers(model)) { m.MonteCarlo = enabled; count++; }
        return count;
    }

    /// <summary>The Monte Carlo layers of a model in registration order (the model itself first if it is one).</summary>
    public static IReadOnlyList<IMonteCarloLayer> Layers(torch.nn.Module model)
    {
        var found = new List<IMonteCarloLayer>();
        if (model is IMonteCarloLayer self) found.Add(self);
        foreach (var (_, child) in model.named_modules())
            if (child is IMonteCarloLayer layer && !ReferenceEquals(child, model)) found.Add(layer);
        return found;
    }
}
