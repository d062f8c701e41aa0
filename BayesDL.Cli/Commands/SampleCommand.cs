using System.ComponentModel;
using System.IO.Compression;
using BayesDL.Engine;
using BayesDL.Models;
using BayesDL.Plotting;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace BayesDL.Cli.Commands;

/// <summary>
/// <c>bayesdl sample MODEL --count N --output FILE.png|FILE.idx</c>: new data from a VAE saved by <c>bayesdl train --method vae</c> (a
/// <see cref="ModelFile"/> of a VAE, read with <see cref="ModelFile.LoadVae"/>): N draws z ~ p(z) = N(0, I) decoded to their means E[x | z]
/// (<see cref="Vae.SamplePrior"/>), written as a PNG grid (square images, <see cref="ImageGrid"/>) or an IDX file of bytes round(255 x)
/// ([N, side, side] for square images, else [N, features]; gzipped when the name ends in .gz). With <c>--traverse</c>, a latent traversal
/// instead: row d varies z_d over N values evenly spaced in [-3, 3] with the other coordinates at 0, for the first min(D, 10) latent
/// dimensions.
/// </summary>
public sealed class SampleCommand(IAnsiConsole console) : Command<SampleCommand.Settings>
{
    /// <summary>Latent dimensions a traversal shows at most.</summary>
    const int TraversedDimensions = 10;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<MODEL>")]
        [Description("A VAE saved by `bayesdl train --method vae`.")]
        public string Model { get; init; } = "";

        [CommandOption("--count <N>")]
        [Description("Images to draw (with --traverse: values per latent dimension).")]
        [DefaultValue(64)]
        public int Count { get; init; } = 64;

        [CommandOption("--output <FILE>")]
        [Description("FILE.png (a grid of square images) or FILE.idx / FILE.idx.gz (bytes 0-255).")]
        public string? Output { get; init; }

        [CommandOption("--traverse")]
        [Description("A latent traversal (one row per latent dimension) instead of prior draws.")]
        public bool Traverse { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Random seed of the draws.")]
        [DefaultValue(2026L)]
        public long Seed { get; init; } = 2026;

        public override ValidationResult Validate()
        {
            if (Count < 1) return ValidationResult.Error($"--count {Count}: expected a positive number of images (e.g. --count 64).");
            if (!File.Exists(Model)) return ValidationResult.Error($"MODEL {Model}: file not found.");
            if (Output is null) return ValidationResult.Error("--output is missing: name the file to write, e.g. --output samples.png.");
            return Kind(Output) is null
                ? ValidationResult.Error($"--output {Output}: expected a .png, .idx or .idx.gz file name.")
                : ValidationResult.Success();
        }
    }

    static string? Kind(string path) =>
        path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "png"
        : path.EndsWith(".idx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".idx.gz", StringComparison.OrdinalIgnoreCase) ? "idx"
        : null;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(settings.Output!));
        if (folder is not null && !Directory.Exists(folder))
            throw new InputException($"--output {settings.Output}: the folder {folder} does not exist; create it first.");
        var policy = ComputePolicy.Default;
        using var vae = LoadVae(settings.Model, policy);
        long features = vae.DataFeatures, side = (long)Math.Round(Math.Sqrt(features));
        bool square = side * side == features;
        if (Kind(settings.Output!) == "png" && !square)
            throw new InputException($"--output {settings.Output}: a PNG grid shows square images, but the VAE's rows have {features} " +
                                     "values; write .idx instead.");
        MemoryBudget.Require("--count", settings.Count, features * 4.0 * (settings.Traverse ? TraversedDimensions : 1) * 4,
            $"{(settings.Traverse ? "the traversal's" : "the")} images of {features} float32 values (4 copies)");
        NativeEngine.Seed(settings.Seed);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int rows = settings.Traverse ? (int)Math.Min(vae.LatentDim, TraversedDimensions) : 1;
        Tensor images = settings.Traverse ? Traversal(vae, rows, settings.Count) : vae.SamplePrior(settings.Count);
        if (Kind(settings.Output!) == "png")
        {
            int columns = settings.Traverse ? settings.Count : (int)Math.Ceiling(Math.Sqrt(settings.Count));
            string title = settings.Traverse
                ? $"latent traversal: z_d from -3 to 3, d = 1..{rows}"
                : $"{settings.Count} draws from the VAE's prior";
            ImageGrid.Save(images, columns, settings.Output!, (int)side, (int)side, title);
        }
        else WriteIdx(settings.Output!, images, square ? [side, side] : [features]);
        console.Profile.Out.Writer.WriteLine($"wrote {images.shape[0]} images to {settings.Output}" +
                                             (settings.Traverse ? $" ({rows} latent dimensions x {settings.Count} values)." : "."));
        return ExitCodes.Success;
    }

    static Vae LoadVae(string path, ComputePolicy policy)
    {
        try
        {
            return ModelFile.LoadVae(path, policy);
        }
        catch (BayesDL.Validation.FileFormatException e)
        {
            throw new InputException($"MODEL {e.Message}");
        }
    }

    /// <summary>
    /// Decoded means of z = t e_d for d below <paramref name="dimensions"/> and t over <paramref name="steps"/> values in [-3, 3]:
    /// [dimensions x steps, features].
    /// </summary>
    static Tensor Traversal(Vae vae, int dimensions, int steps)
    {
        using var scope = NewDisposeScope();
        var reference = vae.parameters().First();
        Tensor values = steps == 1 ? zeros(1, dtype: reference.dtype, device: reference.device)
                                   : linspace(-3, 3, steps, dtype: reference.dtype, device: reference.device);
        Tensor z = zeros(new long[] { dimensions, steps, vae.LatentDim }, dtype: reference.dtype, device: reference.device);
        for (int d = 0; d < dimensions; d++) z[d, .., d] = values;
        return vae.DecodeMean(z.reshape(-1, vae.LatentDim)).MoveToOuterDisposeScope();
    }

    /// <summary>An IDX file of unsigned bytes round(255 x), atomically (temporary file renamed over the target).</summary>
    static void WriteIdx(string path, Tensor images, long[] shape)
    {
        byte[] bytes;
        using (var b = images.clamp(0, 1).mul(255).round().to(ScalarType.Byte).cpu()) bytes = b.data<byte>().ToArray();
        long[] dims = [images.shape[0], .. shape];
        string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!,
            $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var file = File.Create(temporary))
            using (Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                       ? new GZipStream(file, CompressionLevel.Optimal)
                       : file)
            {
                stream.Write([0, 0, 0x08, (byte)dims.Length]);
                foreach (long d in dims) stream.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
                stream.Write(bytes);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
