namespace BayesDL.Validation;

/// <summary>
/// The one exception for a file BayesDL cannot use: a model file, a checkpoint, an IDX or CSV data file that is
/// missing, truncated, corrupted (checksum mismatch), of another kind or format version, or holding values
/// (NaN weights, absurd header counts) that cannot be right. The message names the file, what was expected and
/// what was found; <see cref="Path"/>, <see cref="Expected"/> and <see cref="Found"/> carry the same for programs
/// (the F# DSL maps it to a <c>BayesError</c>, the CLI to exit code 2).
/// </summary>
public sealed class FileFormatException : IOException
{
    /// <summary>Creates the exception; the message is built from the three parts.</summary>
    public FileFormatException(string path, string expected, string found, Exception? inner = null)
        : base($"{path}: expected {expected}; found {found}.", inner)
    {
        Path = path;
        Expected = expected;
        Found = found;
    }

    /// <summary>The file, as the caller named it.</summary>
    public string Path { get; }

    /// <summary>What a valid file has at the point where reading stopped.</summary>
    public string Expected { get; }

    /// <summary>What the file had instead.</summary>
    public string Found { get; }
}
