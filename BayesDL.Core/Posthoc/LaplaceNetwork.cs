using BayesDL.Layers;
using BayesDL.Networks;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// A trained network as the Laplace approximation reads it: its children (dense layers and weightless layers with a functional
/// form, as <see cref="LayerKinds"/> registers them), its <see cref="FunctionalNetwork"/> and MAP weights theta*, the dense layers
/// of the subset, and per batch the Jacobian factors of the output f [B, C]: for each subset layer its input a [B, width] (1
/// appended for the bias) and the gradients g [B, C, out] of every output at its pre-activation, so that
/// d f_c / d W = g_c a^T (one backward pass per output).
/// </summary>
internal sealed class LaplaceNetwork
{
    const string Who = nameof(LaplacePosterior);
    readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _children;

    LaplaceNetwork((string, nn.Module<Tensor, Tensor>)[] children, FunctionalNetwork functional, DenseBlock[] blocks, long[] inputShape)
    {
        _children = children; Functional = functional; Blocks = blocks; InputShape = inputShape;
        Outputs = functional.OutputShape.Aggregate(1L, (p, s) => p * s);
    }

    /// <summary>The network as a function of theta.</summary>
    public FunctionalNetwork Functional { get; }

    /// <summary>The subset's dense layers, in order.</summary>
    public DenseBlock[] Blocks { get; }

    /// <summary>The per-example input shape.</summary>
    public long[] InputShape { get; }

    /// <summary>C, the outputs per example (the output shape's product).</summary>
    public long Outputs { get; }

    /// <summary>The subset's number of weights.</summary>
    public long SubsetCount => Blocks.Sum(b => b.Count);

    /// <summary>
    /// Reads <paramref name="network"/>'s children: throws <see cref="ArgumentException"/> naming the first layer that is neither a
    /// dense layer (TorchSharp Linear) nor a weightless layer of a registered kind with a functional form.
    /// </summary>
    public static LaplaceNetwork Read(nn.Module network, IReadOnlyList<long> inputShape, LaplaceSubset subset)
    {
        ArgumentNullException.ThrowIfNull(network);
        var children = network.named_children().ToArray();
        Check.Argument(children.Length > 0, Who, nameof(network), $"a module without layers ({network.GetType().Name})",
            "a container of layers, e.g. nn.Sequential");
        var typed = new List<(string, nn.Module<Tensor, Tensor>)>();
        var dense = new List<(int Index, string Name, Linear Layer, long Offset)>();
        long offset = 0;
        for (int i = 0; i < children.Length; i++)
        {
            var (name, module) = children[i];
            var kind = LayerKinds.For(module);
            string layer = $"layer {i} '{name}' of type {module.GetType().Name}";
            if (module is Linear linear)
            {
                dense.Add((i, name, linear, offset));
                offset += linear.weight!.numel() + (linear.bias?.numel() ?? 0);
            }
            else if (kind is null || module is not nn.Module<Tensor, Tensor> || kind.Functional(module) is not { Parameters.Count: 0 })
            {
                string why = module switch
                {
                    IVariationalLayer => "a Bayesian layer already has a weight posterior: fit Laplace to a deterministic network " +
                        "(declare it with Linear layers) or use the network's own predictive",
                    IMonteCarloLayer or Dropout => "a dropout layer is random given the weights: remove it (train with dropout, " +
                        "then build the same network without it for Laplace)",
                    _ => "Laplace supports dense layers (Linear) and weightless layers (activations, Flatten)",
                };
                throw Check.Error(Who, nameof(network), layer,
                    "a network of Linear layers and weightless layers (activations, Flatten)",
                    why[..1].ToUpperInvariant() + why[1..] + ".");
            }
            typed.Add((name, (nn.Module<Tensor, Tensor>)module));
        }
        Check.Argument(dense.Count > 0, Who, nameof(network), "a network without a Linear layer",
            "a network with at least one Linear layer");
        var functional = FunctionalNetwork.From(network, inputShape, PriorSpec.Normal(0, 1));
        var chosen = subset == LaplaceSubset.LastLayer ? dense.TakeLast(1) : dense;
        long subsetOffset = 0;
        var blocks = new List<DenseBlock>();
        foreach (var d in chosen)
        {
            var block = new DenseBlock(d.Index, d.Name, d.Offset, subsetOffset, d.Layer.in_features, d.Layer.out_features,
                d.Layer.bias is not null);
            blocks.Add(block);
            subsetOffset += block.Count;
        }
        return new LaplaceNetwork([.. typed], functional, [.. blocks], [.. inputShape]);
    }

    /// <summary>
    /// One batch x [B, ..input]: the outputs f [B, C] (detached) and per subset layer the inputs a [B, width] and output gradients
    /// g [B, C, out], all in float64. The layers below the first subset layer run without gradient. When the last subset layer is
    /// the network's last layer its pre-activation is the output, so its g is the identity (d f_c / d pre_o = 1 if c = o), taken
    /// as that without backward passes; the other layers' g come from C backward passes (none for the last layer alone).
    /// </summary>
    public (Tensor F, Tensor[] A, Tensor[] G) Factors(Tensor x)
    {
        int first = Blocks[0].Layer;
        bool outputLayer = Blocks[^1].Layer == _children.Length - 1;
        int backward = outputLayer ? Blocks.Length - 1 : Blocks.Length;   // the layers whose g needs backward passes
        Tensor h = x;
        using (no_grad())
            for (int i = 0; i < first; i++) h = _children[i].Module.forward(h);
        h = h.detach().requires_grad_(backward > 0);
        var inputs = new Tensor[Blocks.Length];
        var pre = new Tensor[Blocks.Length];
        int next = 0;
        using (backward > 0 ? enable_grad() : no_grad())
        {
            for (int i = first; i < _children.Length; i++)
            {
                if (next < Blocks.Length && Blocks[next].Layer == i)
                {
                    Check.Argument(h.dim() == 2, Who, "network", $"the input of {Blocks[next].Description} of shape {Check.Shape(h.shape)}",
                        "[batch, features] (dense layers of a Laplace subset read flat features)", "Add a Flatten layer before it.");
                    inputs[next] = h.detach();
                    h = _children[i].Module.forward(h);
                    pre[next++] = h;
                }
                else h = _children[i].Module.forward(h);
            }
            Tensor f = h.reshape(h.shape[0], -1);
            long c = f.shape[1];
            var g = Enumerable.Range(0, backward).Select(_ => new List<Tensor>()).ToArray();
            for (long k = 0; k < c && backward > 0; k++)
            {
                Tensor seed = zeros_like(f).index_fill_(1, tensor(new[] { k }, device: f.device), 1.0);
                var grads = autograd.grad([f], pre[..backward], [seed], retain_graph: k < c - 1);
                for (int l = 0; l < backward; l++) g[l].Add(grads[l].to(ScalarType.Float64));
            }
            var gradients = g.Select(list => stack(list, 1)).ToList();
            if (outputLayer)
                gradients.Add(eye(c, dtype: ScalarType.Float64, device: f.device).expand(f.shape[0], c, c));
            var a = inputs.Select((t, l) => Blocks[l].Bias ? cat([t, ones(t.shape[0], 1, dtype: t.dtype, device: t.device)], 1) : t)
                .Select(t => t.to(ScalarType.Float64)).ToArray();
            return (f.detach().to(ScalarType.Float64), a, [.. gradients]);
        }
    }

    /// <summary>The network's outputs f [B, C] at theta* (no gradient).</summary>
    public Tensor Forward(Tensor x)
    {
        using var _ = no_grad();
        Tensor h = x;
        foreach (var (_, m) in _children) h = m.forward(h);
        return h.reshape(h.shape[0], -1);
    }
}
