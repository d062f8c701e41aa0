using System.Collections.Frozen;
using System.Reflection;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The registry of layer kinds: every concrete <see cref="LayerKind"/> of this assembly, found once by reflection, so a new
/// kind is one new file. The builders create layers from the kinds' specs, <c>Models.ModelFile</c> saves and loads
/// through <see cref="For"/> and <see cref="Named"/>, and <see cref="FunctionalNetwork"/> (MCMC over networks) reads their
/// functional forms; nothing else switches over layer types.
/// </summary>
public static class LayerKinds
{
    static readonly LayerKind[] _all = typeof(LayerKind).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(LayerKind)) && !t.IsAbstract)
        .Select(t => (LayerKind)Activator.CreateInstance(t, nonPublic: true)!)
        .OrderBy(k => k.Type, StringComparer.Ordinal).ToArray();
    static readonly FrozenDictionary<System.Type, LayerKind> _byModule = _all.ToFrozenDictionary(k => k.Module);
    static readonly FrozenDictionary<string, LayerKind> _byType = _all.ToFrozenDictionary(k => k.Type, StringComparer.Ordinal);

    /// <summary>
    /// The element-wise kinds (the activations: ELU, GELU, ReLU, SiLU, ...), ordered by <see cref="LayerKind.Type"/>: every activation
    /// a network can declare, each with its declaration <see cref="ElementwiseKind.Spec"/>. A new activation kind joins this list.
    /// </summary>
    public static IReadOnlyList<ElementwiseKind> Activations { get; } = _all.OfType<ElementwiseKind>().ToArray();

    /// <summary>Every registered kind, ordered by <see cref="LayerKind.Type"/>.</summary>
    public static IReadOnlyList<LayerKind> All => _all;

    /// <summary>The kinds' types as an error lists them, e.g. "BayesConv2d, BayesLinear, ...".</summary>
    internal static string Supported => string.Join(", ", _all.Select(k => k.Type));

    /// <summary>The kind of <paramref name="module"/> (its exact class), or null when no kind describes it.</summary>
    public static LayerKind? For(nn.Module module) => _byModule.GetValueOrDefault(module.GetType());

    /// <summary>The kind recorded under <paramref name="type"/> in a model file, or null when there is none.</summary>
    public static LayerKind? Named(string type) => _byType.GetValueOrDefault(type);

    /// <summary>
    /// The declaration of the element-wise kind named <paramref name="name"/> (case-insensitive, so the builders'
    /// <c>Activation.Relu</c> names the kind <c>ReLU</c>); throws <see cref="ArgumentException"/> listing the element-wise kinds.
    /// </summary>
    internal static LayerSpec Elementwise(string name) =>
        _all.OfType<ElementwiseKind>().SingleOrDefault(k => string.Equals(k.Type, name, StringComparison.OrdinalIgnoreCase))?.Spec
        ?? throw Validation.Check.Error(nameof(LayerKinds), "activation", name,
            "an element-wise kind: " + string.Join(", ", _all.OfType<ElementwiseKind>().Select(k => k.Type)));
}
