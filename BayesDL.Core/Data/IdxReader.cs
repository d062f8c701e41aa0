using System.Buffers.Binary;
using System.IO.Compression;

namespace BayesDL.Data;

/// <summary>
/// Streaming reader for the IDX format of the MNIST files (LeCun et al.): a big-endian header
/// <c>00 00 08 ndim</c> (unsigned bytes), <c>ndim</c> big-endian int32 sizes, then the data row by row.
/// Reads plain or gzipped files (detected by the gzip magic <c>1f 8b</c>). Only unsigned-byte data is
/// supported, as in every MNIST-family file.
/// </summary>
public sealed class IdxReader : IDisposable
{
    readonly Stream _stream;
    readonly string _path;
    long _recordsRead;

    IdxReader(Stream stream, string path, int[] dimensions)
    {
        _stream = stream; _path = path; Dimensions = dimensions;
        RecordLength = dimensions.Skip(1).Aggregate(1, (a, b) => checked(a * b));
    }

    /// <summary>The sizes in the header: [count] for labels, [count, rows, cols] for images.</summary>
    public int[] Dimensions { get; }

    /// <summary>Number of records (the first dimension).</summary>
    public int Count => Dimensions[0];

    /// <summary>Bytes in one record (product of the other dimensions; 1 for labels).</summary>
    public int RecordLength { get; }

    /// <summary>Opens a file and reads its header; <paramref name="expectedRank"/> checks the number of dimensions.</summary>
    /// <exception cref="InvalidDataException">Wrong magic number, unsupported type, wrong rank, or a header cut short.</exception>
    public static IdxReader Open(string path, int? expectedRank = null)
    {
        Stream raw = File.OpenRead(path);
        try
        {
            Stream stream = IsGzip(raw) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
            var magic = new byte[4];
            ReadExactly(stream, magic, path, "the 4-byte magic number");
            if (magic[0] != 0 || magic[1] != 0)
                throw new InvalidDataException($"{path}: wrong magic number {Convert.ToHexString(magic)}; an IDX file starts with 00 00 <type> <rank>.");
            if (magic[2] != 0x08)
                throw new InvalidDataException($"{path}: IDX data type 0x{magic[2]:X2} is not supported; expected 0x08 (unsigned byte).");
            int rank = magic[3];
            if (rank == 0 || (expectedRank is int r && rank != r))
                throw new InvalidDataException($"{path}: IDX rank {rank} found; expected {expectedRank?.ToString() ?? "at least 1"} (magic {Convert.ToHexString(magic)}).");
            var dims = new int[rank];
            var buffer = new byte[4];
            for (int d = 0; d < rank; d++)
            {
                ReadExactly(stream, buffer, path, $"size of dimension {d}");
                dims[d] = BinaryPrimitives.ReadInt32BigEndian(buffer);
                if (dims[d] < 0) throw new InvalidDataException($"{path}: negative size {dims[d]} for dimension {d}.");
            }
            return new IdxReader(stream, path, dims);
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the next <paramref name="count"/> records into <paramref name="destination"/> (length at least
    /// count x <see cref="RecordLength"/>). Throws <see cref="InvalidDataException"/> if the file ends early.
    /// </summary>
    public void ReadRecords(Span<byte> destination, int count)
    {
        if (count < 0 || _recordsRead + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{_path}: {Count - _recordsRead} records remain.");
        Span<byte> target = destination[..checked(count * RecordLength)];
        int done = 0;
        while (done < target.Length)
        {
            int n = _stream.Read(target[done..]);
            if (n == 0)
                throw new InvalidDataException(
                    $"{_path}: file is truncated: the header promises {Count} records of {RecordLength} bytes, but the data ends in record {_recordsRead + done / RecordLength}.");
            done += n;
        }
        _recordsRead += count;
    }

    /// <summary>Streams the remaining records one at a time (the array is reused between records).</summary>
    public IEnumerable<byte[]> Records()
    {
        var record = new byte[RecordLength];
        while (_recordsRead < Count)
        {
            ReadRecords(record, 1);
            yield return record;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    static bool IsGzip(Stream s)
    {
        int b0 = s.ReadByte(), b1 = s.ReadByte();
        s.Position = 0;
        return b0 == 0x1f && b1 == 0x8b;
    }

    static void ReadExactly(Stream s, byte[] buffer, string path, string what)
    {
        try { s.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{path}: file is truncated: it ends inside the header ({what})."); }
    }
}
