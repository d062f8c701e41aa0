using BayesDL.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// What a <see cref="LayerKind"/> reads a layer back from: its <see cref="LayerRecord"/>, the file (for errors naming
/// it) and the way to read a wrapped layer (a concrete-dropout layer's inner weight layer).
/// </summary>
internal sealed class LayerReading(LayerRecord record, FileReader reader, Func<LayerRecord, nn.Module<Tensor, Tensor>> inner)
{
    /// <summary>The layer's description.</summary>
    public LayerRecord Record => record;

    /// <summary>The sizes, checked to number at least <paramref name="count"/>.</summary>
    public long[] Sizes(int count) => record.Sizes.Length >= count ? record.Sizes
        : throw reader.Error($"{count} sizes of the {record.Type} layer '{record.Name}'", $"[{string.Join(", ", record.Sizes)}]");

    /// <summary>The scalar setting <paramref name="key"/>, an error naming the layer when the file has none.</summary>
    public double Setting(string key) => record.Settings is not null && record.Settings.TryGetValue(key, out double v) ? v
        : throw reader.Error($"the setting \"{key}\" of the {record.Type} layer '{record.Name}'", "no such setting");

    /// <summary><paramref name="value"/>, an error naming the layer and <paramref name="what"/> when it is missing.</summary>
    public T Required<T>(T? value, string what) where T : class => value
        ?? throw reader.Error($"the {what} of the {record.Type} layer '{record.Name}'", "none");

    /// <summary>The wrapped layer, read like any other layer of the file.</summary>
    public nn.Module<Tensor, Tensor> Inner() => inner(Required(record.Inner, "wrapped layer"));
}
