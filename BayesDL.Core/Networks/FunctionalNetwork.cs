using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// A network's forward pass as a function of one flat weight vector theta, batched over draws: for theta [S, D] and inputs
/// x [batch, ..input], <see cref="Forward"/> gives f_theta_s(x) for every draw s, [S, batch, ..output]. theta packs each
/// layer's weights in order, each tensor row-major (a dense layer: W [out, in], then b [out]). Built from a module whose
/// children are layers of registered kinds (<see cref="LayerKinds"/>), from their functional forms; what MCMC over networks,
/// Laplace and SWAG evaluate. The network's modules are not kept: their settings are, and <see cref="Pack"/> reads a
/// module's current weights into theta.
/// </summary>
public sealed class FunctionalNetwork
{
    const string Who = nameof(FunctionalNetwork);
    readonly Layer[] _layers;

    /// <summary>One layer: its forward pass and its weights' places in theta.</summary>
    sealed record Layer(Func<Tensor, IReadOnlyList<Tensor>, Tensor> Forward, Slot[] Slots);

    /// <summary>One weight tensor in theta: [Offset, Offset + Count) as Shape, under Prior.</summary>
    sealed record Slot(long Offset, long Count, long[] Shape, PriorSpec Prior);

    FunctionalNetwork(Layer[] layers, long[] inputShape, long[] outputShape)
    {
        _layers = layers;
        InputShape = inputShape;
        OutputShape = outputShape;
        Dimension = checked((int)layers.Sum(l => l.Slots.Sum(s => s.Count)));
    }

    /// <summary>
    /// The layers' settings as a model file describes them (each layer's record under its name in the module), from which
    /// <c>Models.ModelFile</c> rebuilds the network; null when a layer cannot be described.
    /// </summary>
    internal IReadOnlyList<LayerRecord>? Layers { get; private init; }

    /// <summary>The prior of the weights without one of their own, as <see cref="From"/> was given it.</summary>
    internal PriorSpec? DefaultPrior { get; private init; }

    /// <summary>D, the number of weights (and biases) of all layers.</summary>
    public int Dimension { get; }

    /// <summary>The per-example input shape.</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>The per-example output shape.</summary>
    public IReadOnlyList<long> OutputShape { get; }

    /// <summary>
    /// The functional form of <paramref name="network"/>'s children, in order, for examples of shape <paramref name="inputShape"/>;
    /// weights without a prior of their own get <paramref name="defaultPrior"/>. <paramref name="names"/> (one per child)
    /// names the layers in errors; by default their names in the module. Throws <see cref="ArgumentException"/> naming the
    /// first layer of no registered kind or without a functional form (dropout: random given the weights).
    /// </summary>
    public static FunctionalNetwork From(nn.Module network, IReadOnlyList<long> inputShape, PriorSpec defaultPrior,
        IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(defaultPrior);
        var children = network.named_children().ToList();
        Check.Argument(children.Count > 0, Who, nameof(network), $"a module without layers ({network.GetType().Name})",
            "a container of layers, e.g. nn.Sequential");
        Check.Argument(names is null || names.Count == children.Count, Who, nameof(names), $"{names?.Count} names",
            $"one per layer ({children.Count})");
        var layers = new List<Layer>();
        long offset = 0;
        for (int i = 0; i < children.Count; i++)
        {
            var (name, module) = children[i];
            var kind = LayerKinds.For(module);
            string layer = $"layer {i} '{names?[i] ?? name}'";
            if (kind is null)
                throw Check.Error(Who, nameof(network), $"{layer} of type {module.GetType().Name}",
                    "layers of registered kinds: " + LayerKinds.Supported,
                    "Replace the layer by one of a registered kind.");
            var functional = kind.Functional(module) ?? throw Check.Error(Who, nameof(network),
                $"{layer} ({kind.Type}, random given the weights)",
                "layers that are a function of their weights alone: dense and convolutional layers (deterministic or Bayesian), " +
                "activations, Flatten",
                "Remove dropout layers: the network's weights are what is sampled or approximated here.");
            var slots = new List<Slot>();
            foreach (var p in functional.Parameters)
            {
                slots.Add(new(offset, p.Count, p.Shape, p.Prior ?? defaultPrior));
                offset += p.Count;
            }
            layers.Add(new(functional.Forward, slots.ToArray()));
        }
        long[] input = [.. inputShape];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var first = network.parameters().FirstOrDefault();
        var (dtype, device) = first is null ? (get_default_dtype(), CPU) : (first.dtype, first.device);
        var probe = new FunctionalNetwork(layers.ToArray(), input, []);
        // One example through zero weights gives the output shape.
        Tensor output = probe.Propagate(zeros(1, probe.Dimension, dtype: dtype, device: device),
            zeros([1, .. input], dtype: dtype, device: device));
        return new(probe._layers, input, output.shape[2..]) { Layers = Describe(children), DefaultPrior = defaultPrior };
    }

    /// <summary>f_theta(x) for every draw: theta [S, D] (or [D]) and inputs [batch, ..InputShape] -&gt; [S, batch,
    /// ..OutputShape].</summary>
    public Tensor Forward(Tensor theta, Tensor inputs)
    {
        if (theta.dim() == 1) theta = theta.unsqueeze(0);
        CheckTheta(theta);
        Check.Argument(inputs.dim() == InputShape.Count + 1 && inputs.shape[1..].SequenceEqual(InputShape), Who, nameof(inputs),
            $"shape {Validation.Check.Shape(inputs.shape)}", Validation.Check.BatchShape([.. InputShape]));
        // Without weights, theta (empty) says nothing about the dtype: the inputs keep theirs.
        return Propagate(theta, Dimension == 0 ? inputs : inputs.to(theta.dtype, theta.device));
    }

    /// <summary>log p(theta) = sum over all weights of their priors' log density, per draw: [S, D] -&gt; [S].</summary>
    public Tensor LogPrior(Tensor theta)
    {
        CheckTheta(theta);
        Tensor total = zeros(theta.shape[0], dtype: theta.dtype, device: theta.device);
        // Runs of one layer's weights under one prior are summed together; the priors' tensors are made per call,
        // so none outlives the caller's dispose scope.
        foreach (var layer in _layers)
            for (int i = 0; i < layer.Slots.Length;)
            {
                int j = i + 1;
                while (j < layer.Slots.Length && layer.Slots[j].Prior.Equals(layer.Slots[i].Prior)) j++;
                long count = layer.Slots[i..j].Sum(s => s.Count);
                var prior = layer.Slots[i].Prior.Build(theta.device, theta.dtype);
                total = total + prior.LogProb(theta.narrow(1, layer.Slots[i].Offset, count)).sum(1);
                i = j;
            }
        return total;
    }

    /// <summary>
    /// The current weights of <paramref name="network"/> (of the architecture this was built from; posterior means of
    /// Bayesian layers) as theta [D], detached.
    /// </summary>
    public Tensor Pack(nn.Module network)
    {
        var children = network.named_children().ToList();
        Check.Argument(children.Count == _layers.Length, Who, nameof(network), $"{children.Count} layers",
            $"the {_layers.Length} layers of this network");
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (int i = 0; i < children.Count; i++)
        {
            var parameters = LayerKinds.For(children[i].module)?.Functional(children[i].module)?.Parameters ?? [];
            Check.Argument(parameters.Select(p => p.Shape).SequenceEqual(_layers[i].Slots.Select(s => s.Shape), ShapeComparer.Instance),
                Who, nameof(network),
                $"layer {i} of type {children[i].module.GetType().Name}", "a layer with the weights of this network's layer " + i);
            parts.AddRange(parameters.Select(p => p.Value.detach().reshape(-1)));
        }
        using var noGrad = no_grad();
        if (parts.Count == 0)
        {
            var first = network.parameters().FirstOrDefault();
            return (first is null ? zeros(0) : zeros(0, dtype: first.dtype, device: first.device)).MoveToOuterDisposeScope();
        }
        return cat(parts, 0).clone().MoveToOuterDisposeScope();
    }

    /// <summary>The children's layer records (see <see cref="Layers"/>), or null when one has none.</summary>
    static List<LayerRecord>? Describe(IEnumerable<(string Name, nn.Module Module)> children)
    {
        try
        {
            return children.Select(c => Record(c.Module, c.Name) with
            {
                Name = c.Name,
                MonteCarlo = (c.Module as IMonteCarloLayer)?.MonteCarlo
            }).ToList();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The record a layer's kind writes of it (as a model file's description holds it); throws for a module of no kind.</summary>
    static LayerRecord Record(nn.Module module, string name) =>
        LayerKinds.For(module)?.Save(module, inner => Record(inner, name))
        ?? throw new ArgumentException($"layer '{name}' of type {module.GetType().Name} has no record");

    void CheckTheta(Tensor theta) =>
        Check.Argument(theta.dim() == 2 && theta.shape[1] == Dimension, Who, nameof(theta), $"shape {Validation.Check.Shape(theta.shape)}",
            $"[chains, {Dimension}] (one row of all {Dimension} weights per chain)");

    Tensor Propagate(Tensor theta, Tensor inputs)
    {
        long s = theta.shape[0];
        Tensor h = inputs.unsqueeze(0).expand([s, .. inputs.shape]);
        foreach (var layer in _layers)
            h = layer.Forward(h, layer.Slots.Select(p => theta.narrow(1, p.Offset, p.Count).view([s, .. p.Shape])).ToArray());
        return h;
    }

    sealed class ShapeComparer : IEqualityComparer<long[]>
    {
        public static readonly ShapeComparer Instance = new();
        public bool Equals(long[]? a, long[]? b) => a is not null && b is not null && a.SequenceEqual(b);
        public int GetHashCode(long[] shape) => shape.Length;
    }
}
