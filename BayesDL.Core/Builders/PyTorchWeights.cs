using System.Collections;
using BayesDL.Layers;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// Loads a PyTorch <c>state_dict</c> (a file written by <c>torch.save(model.state_dict(), path)</c>, read with
/// TorchSharp.PyBridge) into a network declared with the builders. Tensors are matched in order, not by name: the
/// state-dict keys sorted with their numeric segments compared as numbers (<c>0.weight, 0.bias, 2.weight, ..., 10.weight</c>,
/// weight before bias, the order of an <c>nn.Sequential</c>; PyBridge does not keep the file's own order, so a model whose
/// submodules are named rather than numbered must be declared in the sorted order of those names) against the weight and
/// bias of every dense or convolutional layer in declaration order. Every pair is checked by shape; any mismatch, or a
/// different tensor count, is an <see cref="ArgumentException"/> naming the PyTorch tensor, the layer and both shapes
/// (<see cref="Check.Shape"/>), thrown before any weight is changed. Values are copied onto the layer's device and dtype.
/// <para>
/// Into a Bayesian layer (<see cref="BayesLinear"/>, <see cref="BayesConv2d"/>) the pretrained weight becomes the
/// posterior mean and, with <c>mopedDelta</c> = δ, the posterior scale is σ = δ·|w| (MOPED: Krishnan, Subedar &amp; Tickoo,
/// "Specifying Weight Priors in Bayesian Deep Neural Networks with Empirical Bayes", AAAI 2020); |w| is floored at
/// 1e-8 so σ stays positive. Without δ the scales keep their initial values.
/// </para>
/// </summary>
public static class PyTorchWeights
{
    const string Component = nameof(PyTorchWeights);

    /// <summary>
    /// Copies the state dict at <paramref name="path"/> into <paramref name="network"/> (a network from
    /// <see cref="SequentialBuilder.BuildNetwork"/> or a <see cref="BuiltModel"/>'s <c>Network</c>) in order, checking
    /// shapes; <paramref name="mopedDelta"/> &gt; 0 sets Bayesian layers' σ = δ·|w| (see the type's remarks).
    /// Throws <see cref="FileFormatException"/> (naming the file) when the file is missing or not a PyTorch state dict of
    /// finite tensors, and <see cref="ArgumentException"/> when its tensors do not fit the network.
    /// </summary>
    public static void Load(nn.Module network, string path, double? mopedDelta = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        if (mopedDelta is double d) Check.Positive(d, Component, nameof(mopedDelta), "Pass a relative scale such as 0.1.");
        var dict = ReadStateDict(path);
        try { Load(network, OrderedTensors(path, dict), mopedDelta); }
        finally { Dispose(dict); }
    }

    static void Dispose(Hashtable dict)
    {
        foreach (var value in dict.Values)
        {
            if (value is Tensor t) t.Dispose();
            else if (value is Hashtable inner) Dispose(inner);
        }
    }

    const string Expected = "a PyTorch state dict saved with torch.save(model.state_dict(), path)";

    /// <summary>The unpickled dictionary; a missing, unreadable or other file is a <see cref="FileFormatException"/>.</summary>
    static Hashtable ReadStateDict(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileFormatException(path, Expected, "no file at that path", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PyBridge reports a non-zip (or pre-1.6 legacy) file, a whole pickled model, a pickle that is not a dict and a
            // truncated archive with exceptions of several types; all of them mean the file is not a usable state dict.
            throw new FileFormatException(path, Expected, $"{e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Copies a built model's weights from the state dict at <paramref name="path"/>
    /// (see <see cref="Load(nn.Module, string, double?)"/>).
    /// </summary>
    public static void Load(BuiltModel model, string path, double? mopedDelta = null) => Load(model.Network, path, mopedDelta);

    /// <summary>
    /// The tensors of a state dict in <c>nn.Sequential</c> order: keys sorted segment by segment, numbers as numbers. A key
    /// that is not text, a value that is not a tensor (a checkpoint dict holding the state dict under a key, say) or a
    /// non-finite weight is a <see cref="FileFormatException"/> naming the key.
    /// </summary>
    internal static IReadOnlyList<(string Key, Tensor Value)> OrderedTensors(string path, Hashtable dict)
    {
        foreach (DictionaryEntry entry in dict)
        {
            if (entry.Key is not string key)
                throw new FileFormatException(path, Expected + " (text keys)", $"the key {entry.Key} of type {entry.Key.GetType().Name}");
            if (entry.Value is not Tensor t)
                throw new FileFormatException(path, Expected + " (a tensor under every key)",
                    $"'{key}' holding {entry.Value?.GetType().Name ?? "None"}; save model.state_dict() itself, not a dict around it");
            using var finite = t.is_floating_point() ? t.isfinite().all() : null;
            if (finite is not null && !finite.item<bool>())
                throw new FileFormatException(path, Expected + " (finite weights)", $"NaN or infinite values in '{key}'");
        }
        return [.. dict.Keys.Cast<string>().Order(KeyOrder.Instance).Select(k => (k, (Tensor)dict[k]!))];
    }

    static void Load(nn.Module network, IReadOnlyList<(string Key, Tensor Value)> tensors, double? mopedDelta)
    {
        var slots = Slots(network).ToList();
        for (int i = 0; i < Math.Max(slots.Count, tensors.Count); i++)
        {
            if (i >= tensors.Count)
                throw Check.Error(Component, "state dict", $"{tensors.Count} tensor(s); nothing for {slots[i].Describe}",
                    $"one tensor per weight and bias of the declared network ({slots.Count})",
                    "Declare the same layers (and biases) as the PyTorch model.");
            var (key, value) = tensors[i];
            if (i >= slots.Count)
                throw Check.Error(Component, "state dict", $"tensor '{key}' {Check.Shape(value.shape)} left over after the last layer",
                    $"one tensor per weight and bias of the declared network ({slots.Count})",
                    "Declare the same layers as the PyTorch model; buffers such as batch-norm statistics are not supported.");
            var slot = slots[i];
            if (!value.shape.SequenceEqual(slot.Mean.shape))
                throw Check.Error(Component, key, $"shape {Check.Shape(value.shape)}",
                    $"shape {Check.Shape(slot.Mean.shape)} to fill {slot.Describe}",
                    "Declare the layers in the PyTorch model's order with the same widths (PyTorch stores a dense weight as [out, in]).");
        }
        using var _ = no_grad();
        for (int i = 0; i < slots.Count; i++)
        {
            using var scope = NewDisposeScope();
            var slot = slots[i];
            Tensor w = tensors[i].Value.to(slot.Mean.dtype, slot.Mean.device);
            slot.Mean.copy_(w);
            if (mopedDelta is double delta && slot.Rho is not null)
                slot.Rho.copy_(VariationalLayer.InverseSigma(w.abs().clamp_min(1e-8) * delta));
        }
    }

    sealed record Slot(string Module, string Layer, string Name, Parameter Mean, Parameter? Rho)
    {
        public string Describe => $"'{Name}' of layer '{Module}' ({Layer})";
    }

    static IEnumerable<Slot> Slots(nn.Module network)
    {
        foreach (var (name, module) in network.named_modules())
        {
            switch (module)
            {
                case Linear l:
                    yield return new(name, $"Linear({l.in_features} -> {l.out_features})", "weight", l.weight!, null);
                    if (l.bias is not null) yield return new(name, $"Linear({l.in_features} -> {l.out_features})", "bias", l.bias, null);
                    break;
                case Conv2d c:
                    yield return new(name, "Conv2d", "weight", c.weight!, null);
                    if (c.bias is not null) yield return new(name, "Conv2d", "bias", c.bias, null);
                    break;
                case BayesLinear b:
                    string layer = $"BayesLinear({b.InFeatures} -> {b.OutFeatures})";
                    yield return new(name, layer, "weight_mu", b.WeightMu, b.WeightRho);
                    if (b.BiasMu is not null) yield return new(name, layer, "bias_mu", b.BiasMu, b.BiasRho);
                    break;
                case BayesConv2d b:
                    yield return new(name, "BayesConv2d", "weight_mu", b.WeightMu, b.WeightRho);
                    if (b.BiasMu is not null) yield return new(name, "BayesConv2d", "bias_mu", b.BiasMu, b.BiasRho);
                    break;
                case IVariationalLayer v:
                    throw Check.Error(Component, "network", $"layer '{name}' ({v.GetType().Name})",
                        "dense and convolutional layers (Linear, Conv2d, BayesLinear, BayesConv2d) only",
                        "Declare the network with mean-field Bayesian or deterministic layers to import PyTorch weights.");
            }
        }
    }

    /// <summary>
    /// Orders keys segment by segment ('.'-separated): integers numerically before text, weight before bias, other text ordinally.
    /// </summary>
    sealed class KeyOrder : IComparer<string>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            string[] a = (x ?? "").Split('.'), b = (y ?? "").Split('.');
            for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                bool na = long.TryParse(a[i], out long ia), nb = long.TryParse(b[i], out long ib);
                int c = na && nb ? ia.CompareTo(ib) : na != nb ? (na ? -1 : 1) : Rank(a[i]).CompareTo(Rank(b[i]));
                if (c == 0 && !na) c = string.CompareOrdinal(a[i], b[i]);
                if (c != 0) return c;
            }
            return a.Length.CompareTo(b.Length);
        }

        // A module registers its weight before its bias (state dicts list them so), everything else after, by name.
        static int Rank(string segment) => segment switch { "weight" => 0, "bias" => 1, _ => 2 };
    }
}
