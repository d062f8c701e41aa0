using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using BayesDL.Validation;

namespace BayesDL.IO;

/// <summary>
/// Length-checked reads from the bytes of one file (held in memory, so a read never waits on the disk and never runs
/// past the end): every read names what it reads, and a file that ends early, declares an absurd length or holds text
/// that does not parse is a <see cref="FileFormatException"/> naming the file, what was expected and what was found.
/// Strings are BinaryWriter's (a 7-bit encoded byte length, then UTF-8); counts are TorchSharp's LEB128.
/// </summary>
internal sealed class FileReader
{
    readonly byte[] _bytes;
    readonly int _end;

    /// <summary>A reader over <paramref name="bytes"/>[<paramref name="start"/>, <paramref name="end"/>) of the file
    /// <paramref name="path"/>.</summary>
    public FileReader(string path, byte[] bytes, int start = 0, int? end = null)
    {
        Path = path;
        _bytes = bytes;
        Position = start;
        _end = end ?? bytes.Length;
    }

    /// <summary>Reads the whole file; a missing or unreadable file is a <see cref="FileFormatException"/>.</summary>
    public static FileReader Open(string path, string what)
    {
        try { return new FileReader(path, File.ReadAllBytes(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileFormatException(path, $"a readable {what}", e.Message, e);
        }
    }

    /// <summary>The file, as the caller named it.</summary>
    public string Path { get; }

    /// <summary>Offset of the next byte to read.</summary>
    public int Position { get; private set; }

    /// <summary>The length of the file (or of the part this reader covers, from offset 0).</summary>
    public int Length => _end;

    /// <summary>A reader over the same bytes starting at <paramref name="position"/>.</summary>
    public FileReader At(int position) => new(Path, _bytes, position, _end);

    /// <summary>The bytes [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) without moving
    /// (in range by the caller's checks).</summary>
    public ReadOnlySpan<byte> Slice(int start, int length) => new(_bytes, start, length);

    /// <summary>Bytes left before the end.</summary>
    public int Remaining => _end - Position;

    /// <summary>The exception for a file that has <paramref name="found"/> where <paramref name="expected"/> belongs.</summary>
    public FileFormatException Error(string expected, string found, Exception? inner = null) => new(Path, expected, found, inner);

    /// <summary>The next <paramref name="count"/> bytes.</summary>
    public ReadOnlySpan<byte> Bytes(long count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Error($"{what} ({count} bytes)", count < 0 ? "a negative length" : $"the end of the file after {Remaining} more bytes " +
                $"(at offset {Position}): the file is truncated or a length in it is corrupt");
        var span = new ReadOnlySpan<byte>(_bytes, Position, (int)count);
        Position += (int)count;
        return span;
    }

    /// <summary>The next <paramref name="count"/> bytes as a new array.</summary>
    public byte[] ByteArray(long count, string what) => Bytes(count, what).ToArray();

    /// <summary>A little-endian int32.</summary>
    public int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, what));

    /// <summary>A little-endian int64.</summary>
    public long Int64(string what) => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, what));

    /// <summary>A non-negative LEB128 integer as TorchSharp's <c>Encode</c> writes it (at most 9 bytes).</summary>
    public long Leb128(string what)
    {
        long value = 0;
        for (int i = 0; i < 9; i++)
        {
            byte b = Bytes(1, what)[0];
            value |= (long)(b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) return value;
        }
        throw Error($"{what} (a LEB128 integer of at most 9 bytes)", "a longer encoding");
    }

    /// <summary>A BinaryWriter string of at most <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    public string String(string what, int maxBytes = 1 << 24)
    {
        int length = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (shift > 28) throw Error($"{what} (a length-prefixed string)", "a length prefix longer than 5 bytes");
            byte b = Bytes(1, what)[0];
            length |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) break;
        }
        if (length < 0 || length > maxBytes)
            throw Error($"{what} (a string of at most {maxBytes} bytes)", $"a declared length of {(uint)length} bytes");
        try { return Utf8.GetString(Bytes(length, what)); }
        catch (DecoderFallbackException e) { throw Error($"{what} (UTF-8 text)", "bytes that are not UTF-8", e); }
    }

    /// <summary>A JSON text read by <see cref="String"/> and deserialized; malformed JSON is a <see cref="FileFormatException"/>.</summary>
    public T Json<T>(string what, JsonSerializerOptions options) where T : class
    {
        string text = String(what);
        try
        {
            return JsonSerializer.Deserialize<T>(text, options) ?? throw Error($"{what} (a JSON object)", "null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw Error($"{what} (valid JSON)", e.Message, e);
        }
    }

    /// <summary>Checks that nothing follows the last field.</summary>
    public void End(string what)
    {
        if (Remaining != 0) throw Error($"the end of the file after {what}", $"{Remaining} more bytes (at offset {Position})");
    }

    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
