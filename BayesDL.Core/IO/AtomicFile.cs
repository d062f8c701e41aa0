using BayesDL.Validation;

namespace BayesDL.IO;

/// <summary>
/// All-or-nothing file writes: the content goes to a temporary file in the target's folder (same file system, so the
/// rename is atomic), is flushed to disk, and is then renamed over the target. A crash, a kill or an exception while
/// writing leaves the previous file untouched; after an exception no temporary file is left behind (a killed process may
/// leave one, named <c>.{file}.{guid}.tmp</c>, which no reader opens).
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>, atomically. A folder that does not exist, a denied
    /// permission or a full disk is a <see cref="FileFormatException"/> naming the file; other exceptions of
    /// <paramref name="write"/> pass through.
    /// </summary>
    public static void Write(string path, Action<BinaryWriter> write)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new BinaryWriter(stream))
            {
                write(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not FileFormatException)
        {
            throw new FileFormatException(path, "a writable file (an existing folder, write permission and free space)", e.Message, e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
