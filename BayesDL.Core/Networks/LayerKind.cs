using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// One kind of layer, described once, in one file with its <see cref="LayerSpec"/> (when a declaration can name it): the
/// TorchSharp module it is (<see cref="Module"/>), how a model file writes and reads it (its JSON fields under
/// <see cref="Type"/>; the tensors are the module's state dict), and its functional form (the forward pass with the weights
/// given explicitly and batched over draws, as MCMC over networks, Laplace and SWAG need). <see cref="LayerKinds"/> finds
/// every kind of this assembly, so adding a kind is adding its file.
/// </summary>
public abstract class LayerKind
{
    /// <summary>The name a model file records the layer under (its <c>Type</c> field), e.g. <c>Linear</c>.</summary>
    public abstract string Type { get; }

    /// <summary>The TorchSharp module class of this kind (matched exactly).</summary>
    public abstract System.Type Module { get; }

    /// <summary>
    /// The layer's JSON description (its type, sizes and settings) for a model file, or null when the file format cannot
    /// describe this instance (e.g. a convolution with a non-square kernel); <paramref name="inner"/> describes a wrapped layer.
    /// </summary>
    internal abstract LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner);

    /// <summary>A fresh module from its JSON description (the model file then copies the saved tensors into it).</summary>
    internal abstract nn.Module<Tensor, Tensor> Load(LayerReading reading);

    /// <summary>
    /// The weights a description implies, so a corrupt file that asks for more than it holds is refused before they are
    /// allocated; -1 when its sizes are missing, negative or overflow.
    /// </summary>
    internal virtual long Weights(LayerRecord record) => 0;

    /// <summary>
    /// The functional form of <paramref name="module"/>, or null when the layer has none because it is stochastic given its
    /// weights (dropout masks).
    /// </summary>
    internal virtual FunctionalLayer? Functional(nn.Module module) => null;

    /// <summary>A small instance (default device and dtype) and the per-example input shape it reads, for the registry's tests and
    /// docs.</summary>
    internal abstract (nn.Module<Tensor, Tensor> Module, long[] Input) Example();

    /// <summary>A functional form without weights: <paramref name="forward"/> maps activations [draws, batch, ...] alone.</summary>
    internal static FunctionalLayer Stateless(Func<Tensor, Tensor> forward) => new([], (h, _) => forward(h));

    /// <summary>n sizes multiplied, or -1 when there are fewer, one is negative, or the product overflows.</summary>
    internal static long Product(long[] sizes, params int[] indices)
    {
        long p = 1;
        foreach (int i in indices)
        {
            if (i >= sizes.Length || sizes[i] < 0) return -1;
            try { p = checked(p * sizes[i]); } catch (OverflowException) { return -1; }
        }
        return p;
    }

    /// <summary>Kinds are equal when they are the same class (each kind is one class, registered once).</summary>
    public override bool Equals(object? obj) => obj is not null && obj.GetType() == GetType();

    /// <inheritdoc />
    public override int GetHashCode() => GetType().GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Type;
}
