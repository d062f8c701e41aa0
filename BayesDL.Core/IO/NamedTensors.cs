using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.IO;

/// <summary>
/// A list of named tensors in the layout of TorchSharp's <c>Module.save</c> (so model files of versions 1 and 2 read
/// the same way): the count (LEB128), then per tensor its name (BinaryWriter string), dtype code, rank and sizes (LEB128
/// each) and the raw little-endian elements. <see cref="Read"/> checks every entry against the tensors it will fill
/// (names, shapes, dtypes, byte counts, finite values) before anything is created from it, so a file describing
/// another architecture or holding NaN weights is a <see cref="FileFormatException"/> naming the file and the tensor,
/// and nothing the engine sees is malformed.
/// </summary>
internal static class NamedTensors
{
    /// <summary>Writes <paramref name="tensors"/> (any device; saved as CPU bytes).</summary>
    public static void Write(BinaryWriter writer, IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        Leb128(writer, tensors.Count);
        foreach (var (name, value) in tensors)
        {
            using var scope = NewDisposeScope();
            writer.Write(name);
            var cpu = value.detach().cpu().contiguous();
            Leb128(writer, (long)cpu.dtype);
            Leb128(writer, cpu.shape.Length);
            foreach (long size in cpu.shape) Leb128(writer, size);
            writer.Write(cpu.bytes);
        }
    }

    /// <summary>
    /// Reads the list written by <see cref="Write"/> for <paramref name="targets"/>: the same names (in any order) with the same
    /// shapes; with <paramref name="sameDType"/> also the same dtypes (otherwise a floating-point tensor may load into one of
    /// another floating-point dtype, as a model file saved in float32 loads under a float64 policy). Returns CPU tensors in
    /// the order of <paramref name="targets"/>, each finite when floating point. <paramref name="what"/> names the list in errors.
    /// </summary>
    public static Tensor[] Read(FileReader reader, IReadOnlyList<(string Name, Tensor Target)> targets, bool sameDType, string what)
    {
        long count = reader.Leb128($"the number of tensors in {what}");
        if (count != targets.Count)
            throw reader.Error($"{targets.Count} tensors in {what} ({Names(targets)})", $"{count} tensors");
        var index = new Dictionary<string, int>();
        for (int i = 0; i < targets.Count; i++) index[targets[i].Name] = i;
        var result = new Tensor?[targets.Count];
        try
        {
            for (long k = 0; k < count; k++)
            {
                string name = reader.String($"the name of tensor {k + 1} of {what}", 4096);
                if (!index.TryGetValue(name, out int i))
                    throw reader.Error($"a tensor of {what} named one of {Names(targets)}", $"a tensor named '{name}'");
                if (result[i] is not null) throw reader.Error($"each tensor of {what} once", $"'{name}' twice");
                result[i] = ReadTensor(reader, name, targets[i].Target, sameDType, what);
            }
            return result!;
        }
        catch
        {
            foreach (var t in result) t?.Dispose();
            throw;
        }
    }

    static Tensor ReadTensor(FileReader reader, string name, Tensor target, bool sameDType, string what)
    {
        long code = reader.Leb128($"the dtype of '{name}'");
        if (code > 127 || ElementSize((ScalarType)(sbyte)code) is not int size)
            throw reader.Error($"a dtype code of '{name}' in {what} (a TorchSharp ScalarType)", $"code {code}");
        var dtype = (ScalarType)(sbyte)code;
        bool compatible = sameDType ? dtype == target.dtype : dtype == target.dtype || (IsFloat(dtype) && IsFloat(target.dtype));
        if (!compatible) throw reader.Error($"'{name}' of dtype {target.dtype} in {what}", $"dtype {dtype}");
        long rank = reader.Leb128($"the rank of '{name}'");
        if (rank != target.shape.Length)
            throw reader.Error($"'{name}' of shape {Check.Shape(target.shape)} in {what} (rank {target.shape.Length})", $"rank {rank}");
        var shape = new long[rank];
        for (int d = 0; d < rank; d++) shape[d] = reader.Leb128($"size {d} of '{name}'");
        if (!shape.SequenceEqual(target.shape))
            throw reader.Error($"'{name}' of shape {Check.Shape(target.shape)} in {what}",
                $"shape {Check.Shape(shape)}: the weights belong to another architecture");
        long bytes = target.numel() * size;
        byte[] data = reader.ByteArray(bytes, $"the {target.numel()} values of '{name}'");
        using var scope = NewDisposeScope();
        var tensor = empty(shape, dtype);
        if (bytes > 0) tensor.bytes = data;
        if (NonFinite(tensor) is string found) throw reader.Error($"finite values in '{name}' of {what}", found);
        return tensor.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// For a floating-point tensor holding NaN or an infinity, the first such value and its flat index with the count
    /// ("NaN at flat index 3 (1 non-finite values)"); otherwise (finite, empty, or not floating point) null.
    /// </summary>
    internal static string? NonFinite(Tensor tensor)
    {
        if (!IsFloat(tensor.dtype) || tensor.numel() == 0) return null;
        using var scope = NewDisposeScope();
        var bad = tensor.isfinite().logical_not().flatten();
        if (!bad.any().item<bool>()) return null;
        var at = bad.nonzero();
        long first = at[0, 0].item<long>();
        double v = tensor.flatten()[first].to_type(ScalarType.Float64).item<double>();
        return $"{v} at flat index {first} ({at.shape[0]} non-finite values)";
    }

    static bool IsFloat(ScalarType t) => t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    static int? ElementSize(ScalarType t) => t switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => null,
    };

    static void Leb128(BinaryWriter writer, long value)
    {
        while (true)
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            if (value == 0) { writer.Write(b); return; }
            writer.Write((byte)(b | 0x80));
        }
    }

    static string Names(IReadOnlyList<(string Name, Tensor Target)> targets) =>
        targets.Count <= 6 ? string.Join(", ", targets.Select(t => $"'{t.Name}'")) : string.Join(", ",
            targets.Take(6).Select(t => $"'{t.Name}'")) + ", ...";
}
