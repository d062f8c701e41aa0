using System.Security.Cryptography;
using System.Text.Json;
using BayesDL.Validation;

namespace BayesDL.IO;

/// <summary>
/// The frame of every file BayesDL writes (model files and checkpoints), written atomically by <see cref="AtomicFile"/>:
/// <list type="number">
/// <item>the file kind's magic string (BinaryWriter string, e.g. "BAYESDL-BNN");</item>
/// <item>the preamble <c>{"Version":N}</c> (a BinaryWriter string: a BayesDL that reads only older versions parses it as
/// its JSON header and refuses the file naming version N);</item>
/// <item>the body length in bytes (int64) and the SHA-256 of the body (32 bytes);</item>
/// <item>the body: a JSON header (BinaryWriter string) and the kind's binary content.</item>
/// </list>
/// <see cref="Open"/> reads the whole file, checks magic, version, length (the body ends exactly at the end of the file)
/// and checksum before anything in the body is used, so a truncated, extended or overwritten file is refused with a
/// <see cref="FileFormatException"/> naming the file. Files of versions written before the frame existed (magic, then
/// the JSON header directly) are handed back unverified as <see cref="Opened.Legacy"/> for the kind to read or refuse.
/// </summary>
internal static class SealedFile
{
    const int HashBytes = 32;

    /// <summary>What <see cref="Open"/> found: the format version and a reader at the start of the body.</summary>
    /// <param name="Version">The format version.</param>
    /// <param name="Legacy">True for a file of a version before the frame: no checksum, and <paramref name="Reader"/> starts
    /// at the JSON header.</param>
    /// <param name="Reader">The body (verified when not legacy), starting with its JSON header.</param>
    internal sealed record Opened(int Version, bool Legacy, FileReader Reader);

    static string Preamble(int version) => $"{{\"Version\":{version}}}";

    /// <summary>Writes the frame with <paramref name="body"/>'s bytes, atomically.</summary>
    public static void Write(string path, string magic, int version, Action<BinaryWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) body(writer);
        var content = new ReadOnlySpan<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        byte[] hash = SHA256.HashData(content);
        AtomicFile.Write(path, writer =>
        {
            writer.Write(magic);
            writer.Write(Preamble(version));
            writer.Write(buffer.Length);
            writer.Write(hash);
            writer.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        });
    }

    /// <summary>
    /// Opens <paramref name="path"/>, a <paramref name="what"/> whose magic is one of <paramref name="magics"/> (the first is the
    /// current one; <paramref name="magic"/> returns which was found), and checks the frame when its version is at least
    /// <paramref name="firstSealed"/>. Versions above <paramref name="current"/> are refused as written by a newer BayesDL.
    /// </summary>
    public static Opened Open(string path, string what, string[] magics, int firstSealed, int current, out string magic)
    {
        var reader = FileReader.Open(path, what);
        string expectedStart = $"a {what}, starting with \"{magics[0]}\"";
        string found;
        try { found = reader.String("the magic string", 64); }
        catch (FileFormatException) { found = ""; }
        if (Array.IndexOf(magics, found) < 0)
            throw reader.Error(expectedStart, $"{Describe(reader)} at the start, so it is not a {what}");
        magic = found;
        int headerStart = reader.Position;
        string preamble = reader.String("the format version (a JSON text)");
        int version = Version(reader, preamble);
        if (version > current)
            throw reader.Error($"a {what} of format version {current} or older",
                $"format version {version}: the file was written by a newer BayesDL; update BayesDL to read it");
        if (version < firstSealed)
        {
            // Before the frame: the string just read was the whole JSON header; hand back a reader positioned on it.
            return new Opened(version, Legacy: true, reader.At(headerStart));
        }
        if (preamble != Preamble(version))
            throw reader.Error($"the format version as {Preamble(version)}", $"\"{Shorten(preamble)}\"");
        long length = reader.Int64("the body length");
        ReadOnlySpan<byte> hash = reader.Bytes(HashBytes, "the body's SHA-256 checksum");
        if (length != reader.Remaining)
            throw reader.Error($"a body of {length} bytes after the checksum, as the file declares",
                length > reader.Remaining ? $"{reader.Remaining} bytes: the file is truncated"
                : $"{reader.Remaining} bytes: the file has extra bytes or a corrupt length");
        int start = reader.Position;
        byte[] actual = SHA256.HashData(reader.Slice(start, (int)length));
        if (!hash.SequenceEqual(actual))
            throw reader.Error($"a body whose SHA-256 is {Convert.ToHexString(hash)[..16]}... as the file records",
                $"SHA-256 {Convert.ToHexString(actual)[..16]}...: the file is corrupt (changed after it was written)");
        return new Opened(version, Legacy: false, reader.At(start));
    }

    static int Version(FileReader reader, string preamble)
    {
        try
        {
            using var json = JsonDocument.Parse(preamble);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("Version", out var v)
                && v.TryGetInt32(out int version))
                return version;
        }
        catch (JsonException) { }
        throw reader.Error("a JSON text with the format version (\"Version\": an integer)", $"\"{Shorten(preamble)}\"");
    }

    static string Describe(FileReader reader)
    {
        if (reader.Length == 0) return "an empty file";
        var head = reader.Slice(0, Math.Min(16, reader.Length));
        return $"the bytes {Convert.ToHexString(head)}{(reader.Length > 16 ? "..." : "")}";
    }

    static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
