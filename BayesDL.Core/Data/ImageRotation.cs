using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Data;

/// <summary>
/// Rotates images by an angle with the engine (bilinear interpolation through
/// <c>affine_grid</c> + <c>grid_sample</c>, zeros outside the frame), for dataset-shift evaluations such as
/// rotated MNIST (Ovadia et al. 2019). Positive angles turn the picture counter-clockwise as it is
/// displayed (row 0 at the top), like <c>rot90</c> with k = 1 over the last two dimensions.
/// </summary>
public static class ImageRotation
{
    /// <summary>
    /// Rotates a batch of images by <paramref name="degrees"/> about the image centre. Accepts flat images
    /// [N, H·W] (with <paramref name="height"/> and <paramref name="width"/>) or [N, C, H, W]; returns the same shape.
    /// Output pixel q (pixel units from the centre, y down) samples the input at
    /// (x cos θ − y sin θ, x sin θ + y cos θ), which the normalized grid expresses as
    /// θ-matrix [[cos θ, −sin θ·H/W, 0], [sin θ·W/H, cos θ, 0]] with align_corners = false.
    /// </summary>
    public static Tensor Rotate(Tensor images, double degrees, long height = 28, long width = 28)
    {
        Check.Argument(double.IsFinite(degrees), nameof(ImageRotation), nameof(degrees),
            degrees.ToString("R"), "a finite angle in degrees");
        Check.Argument(images.is_floating_point(), nameof(ImageRotation), nameof(images),
            images.dtype.ToString(), "a floating-point tensor");
        bool flat = images.dim() == 2;
        Check.Argument(flat ? images.shape[1] == height * width : images.dim() == 4, nameof(ImageRotation), nameof(images),
            "shape " + Check.Shape(images.shape), $"[N, {height * width}] (flat {height}x{width} images) or [N, C, H, W]",
            "Pass height and width for flat images of another size.");
        using var scope = NewDisposeScope();
        Tensor x = flat ? images.reshape(images.shape[0], 1, height, width) : images;
        long h = x.shape[2], w = x.shape[3];
        double radians = degrees * Math.PI / 180, c = Math.Cos(radians), s = Math.Sin(radians);
        Tensor theta = torch.tensor(new[] { c, -s * h / w, 0, s * w / h, c, 0 }, new long[] { 1, 2, 3 }, dtype: x.dtype, device: x.device)
            .expand(x.shape[0], 2, 3);
        Tensor grid = nn.functional.affine_grid(theta, x.shape, align_corners: false);
        Tensor rotated = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
        return (flat ? rotated.reshape(images.shape) : rotated).MoveToOuterDisposeScope();
    }
}
