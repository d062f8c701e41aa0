using System.Buffers.Binary;
using System.IO.Compression;
using BayesDL.Validation;

namespace BayesDL.Data;

/// <summary>
/// Streaming reader for the IDX format of the MNIST files (LeCun et al.): a big-endian header
/// <c>00 00 08 ndim</c> (unsigned bytes), <c>ndim</c> big-endian int32 sizes, then the data row by row.
/// Reads plain or gzipped files (detected by the gzip magic <c>1f 8b</c>). Only unsigned-byte data is
/// supported, as in every MNIST-family file.
/// Every read is length-checked and every problem with the file is a <see cref="FileFormatException"/> naming it: a
/// wrong magic number, a header cut short, sizes whose data cannot fit in the file (checked before anything is
/// allocated: a plain file must be exactly header plus data; a gzip file cannot decompress to more than
/// <see cref="MaxDeflateRatio"/> times its size and must be one gzip member whose trailer records that size), data that
/// ends early or runs on past the promised records, and corrupt gzip data (including a CRC-32 mismatch).
/// </summary>
public sealed class IdxReader : IDisposable
{
    /// <summary>
    /// The most a deflate stream expands: 1032 output bytes per input byte (a 258-byte match coded in 2 bits), so a
    /// gzip file of L bytes holds at most 1032 L bytes of data. Bounds what a header may claim before allocating.
    /// </summary>
    public const long MaxDeflateRatio = 1032;

    readonly Stream _stream;
    readonly string _path;
    long _recordsRead;
    bool _endChecked;

    IdxReader(Stream stream, string path, int[] dimensions, int recordLength)
    {
        _stream = stream; _path = path; Dimensions = dimensions; RecordLength = recordLength;
    }

    /// <summary>The sizes in the header: [count] for labels, [count, rows, cols] for images.</summary>
    public int[] Dimensions { get; }

    /// <summary>Number of records (the first dimension).</summary>
    public int Count => Dimensions[0];

    /// <summary>Bytes in one record (product of the other dimensions; 1 for labels).</summary>
    public int RecordLength { get; }

    /// <summary>Opens a file and reads its header; <paramref name="expectedRank"/> checks the number of dimensions.</summary>
    /// <exception cref="FileFormatException">
    /// No such file, a wrong magic number, an unsupported type, a wrong rank, a header cut short, corrupt gzip data, or sizes
    /// that the file cannot hold.
    /// </exception>
    public static IdxReader Open(string path, int? expectedRank = null)
    {
        Stream raw;
        try
        {
            raw = File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileFormatException(path, "an IDX file", "no file at that path", e);
        }
        try
        {
            long fileLength = raw.Length;
            bool gzip = IsGzip(raw);
            uint? gzipSize = gzip ? GzipRecordedSize(raw) : null;
            Stream stream = gzip ? new GZipStream(raw, CompressionMode.Decompress) : raw;
            var magic = new byte[4];
            ReadHeader(stream, magic, path, "the 4-byte magic number 00 00 08 <rank>");
            if (magic[0] != 0 || magic[1] != 0)
                throw new FileFormatException(path, "an IDX file, starting with the magic number 00 00 <type> <rank>",
                    $"wrong magic number {Convert.ToHexString(magic)}");
            if (magic[2] != 0x08)
                throw new FileFormatException(path, "IDX data type 0x08 (unsigned byte), the only one supported",
                    $"data type 0x{magic[2]:X2} (magic {Convert.ToHexString(magic)})");
            int rank = magic[3];
            if (rank == 0 || (expectedRank is int r && rank != r))
                throw new FileFormatException(path, $"IDX rank {expectedRank?.ToString() ?? "at least 1"}",
                    $"rank {rank} (magic {Convert.ToHexString(magic)})");
            var dims = new int[rank];
            var buffer = new byte[4];
            for (int d = 0; d < rank; d++)
            {
                ReadHeader(stream, buffer, path, $"the size of dimension {d}");
                dims[d] = BinaryPrimitives.ReadInt32BigEndian(buffer);
                if (dims[d] < 0 || (d > 0 && dims[d] == 0))
                    throw new FileFormatException(path, d == 0 ? "a record count >= 0" : "positive record sizes",
                        $"size {dims[d]} for dimension {d}");
            }
            int recordLength = RecordBytes(dims, path);
            CheckFits(dims, recordLength, 4L + 4L * rank, fileLength, gzip, gzipSize, path);
            return new IdxReader(stream, path, dims, recordLength);
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the next <paramref name="count"/> records into <paramref name="destination"/> (length at least
    /// count x <see cref="RecordLength"/>). Reading the last record also checks that the data ends there.
    /// </summary>
    /// <exception cref="FileFormatException">The data ends early, runs on past the last record, or is corrupt gzip data.</exception>
    public void ReadRecords(Span<byte> destination, int count)
    {
        Check.Argument(count >= 0 && _recordsRead + count <= Count, nameof(IdxReader), nameof(count), count.ToString(),
            $"in [0, {Count - _recordsRead}] (the records that remain in {_path})");
        long bytes = (long)count * RecordLength;
        Check.Argument(destination.Length >= bytes, nameof(IdxReader), nameof(destination), $"{destination.Length} bytes",
            $"at least {bytes} bytes ({count} records of {RecordLength})");
        Span<byte> target = destination[..(int)bytes];
        int done = 0;
        while (done < target.Length)
        {
            int n = Read(target[done..], () => $"record {_recordsRead + done / RecordLength}");
            if (n == 0)
                throw new FileFormatException(_path, $"{Count} records of {RecordLength} bytes, as the header promises",
                    $"a truncated file: the data ends in record {_recordsRead + done / RecordLength}");
            done += n;
        }
        _recordsRead += count;
        if (_recordsRead == Count) CheckEnd();
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
        CheckEnd();
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    /// <summary>After the last record the data must end (this also makes a gzip stream check its CRC-32 trailer).</summary>
    void CheckEnd()
    {
        if (_endChecked) return;
        _endChecked = true;
        Span<byte> one = stackalloc byte[1];
        if (Read(one, () => "the end of the data") != 0)
            throw new FileFormatException(_path, $"the data to end after the {Count} records the header promises",
                "more bytes after the last record");
    }

    /// <summary>One read of the data; corrupt gzip data becomes a <see cref="FileFormatException"/> saying where.</summary>
    int Read(Span<byte> target, Func<string> where)
    {
        try
        {
            return _stream.Read(target);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(_path, where(), e);
        }
    }

    static FileFormatException Corrupt(string path, string where, InvalidDataException e) =>
        new(path, "a valid gzip stream (deflate data and a matching CRC-32)", $"corrupt compressed data while reading {where}", e);

    /// <summary>Product of the sizes after the first, which must fit in an int.</summary>
    static int RecordBytes(int[] dims, string path)
    {
        long product = 1;
        for (int d = 1; d < dims.Length; d++)
        {
            product *= dims[d];
            if (product > int.MaxValue)
                throw new FileFormatException(path, $"records of at most {int.MaxValue} bytes",
                    $"record sizes {string.Join(" x ", dims.Skip(1))} (more than that)");
        }
        return (int)product;
    }

    /// <summary>
    /// The header's promise against the file's size, before anything is allocated: a plain file is exactly header plus
    /// data; a gzip file of L bytes decompresses to at most <see cref="MaxDeflateRatio"/> L bytes, and its trailer's ISIZE
    /// field records the decompressed size modulo 2^32, which must match (so a gzip file cut short is refused even when
    /// the cut leaves every data byte decodable).
    /// </summary>
    static void CheckFits(int[] dims, int recordLength, long headerBytes, long fileLength, bool gzip, uint? gzipSize, string path)
    {
        long dataBytes = (long)dims[0] * recordLength; // < 2^31 * 2^31: no overflow
        string promise = $"{dims[0]} records of {recordLength} bytes ({dataBytes} bytes after the {headerBytes}-byte header)";
        if (!gzip && headerBytes + dataBytes != fileLength)
            throw new FileFormatException(path, $"a file of {headerBytes + dataBytes} bytes: the header promises {promise}",
                $"{fileLength} bytes " +
                $"({(fileLength < headerBytes + dataBytes ? "a truncated file or a wrong header" : "bytes after the data")})");
        if (!gzip) return;
        if (headerBytes + dataBytes > MaxDeflateRatio * fileLength)
            throw new FileFormatException(path,
                $"sizes a gzip file of {fileLength} bytes can hold (at most {MaxDeflateRatio * fileLength} " +
                $"bytes decompressed, at deflate's largest ratio {MaxDeflateRatio}:1)", $"a header promising {promise}");
        uint recorded = gzipSize ?? 0;
        if (gzipSize is null || recorded != (uint)(headerBytes + dataBytes))
            throw new FileFormatException(path,
                $"a gzip trailer recording {(uint)(headerBytes + dataBytes)} decompressed bytes (modulo 2^32): " +
                $"the header promises {promise}", gzipSize is null ? "a file too short for a gzip trailer" :
                $"a trailer recording {recorded} bytes (a truncated file, a wrong header, or several gzip members concatenated)");
    }

    /// <summary>ISIZE, the last 4 bytes of a gzip file: its decompressed size modulo 2^32 (of the last member);
    /// null if too short.</summary>
    static uint? GzipRecordedSize(Stream raw)
    {
        const int minimum = 18; // 10-byte header, empty deflate data would still need 2, 8-byte trailer
        if (raw.Length < minimum) return null;
        Span<byte> isize = stackalloc byte[4];
        raw.Position = raw.Length - 4;
        raw.ReadExactly(isize);
        raw.Position = 0;
        return BinaryPrimitives.ReadUInt32LittleEndian(isize);
    }

    static bool IsGzip(Stream s)
    {
        int b0 = s.ReadByte(), b1 = s.ReadByte();
        s.Position = 0;
        return b0 == 0x1f && b1 == 0x8b;
    }

    static void ReadHeader(Stream s, byte[] buffer, string path, string what)
    {
        try
        {
            s.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new FileFormatException(path, $"a complete IDX header ({what})", "a truncated file that ends inside the header", e);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(path, "the header", e);
        }
    }
}
