using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// Looking inside a trained <see cref="Vae"/>: latent traversals, the 2-D latent manifold, and test-set latent means.
/// All run without gradients and return image rows [N, DataFeatures] (or latent rows) ready for the plotting helpers.
/// </summary>
public static class LatentInspection
{
    /// <summary>
    /// Latent traversal: z = mu(x) of one image, then for each dimension d (one row per dimension) z_d swept over
    /// <paramref name="steps"/> values evenly spaced in [-range, range] with the others fixed; returns [D * steps, F], row-major.
    /// </summary>
    public static Tensor Traversal(Vae vae, Tensor x, double range = 3, int steps = 9)
    {
        Check.Argument(x.dim() == 2 && x.shape[0] == 1, nameof(Traversal), "x", $"shape {Check.Shape(x.shape)}",
            $"one image, shape [1, {vae.DataFeatures}]");
        Check.Positive(range, nameof(Traversal), "range");
        Check.Argument(steps >= 2, nameof(Traversal), "steps", steps.ToString(), "at least 2");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor mu = vae.Posterior(x).Loc;                                         // [1, D]
        long d = vae.LatentDim;
        Tensor values = linspace(-range, range, steps, dtype: mu.dtype, device: mu.device);
        Tensor z = mu.expand(d * steps, d).clone().reshape(d, steps, d);
        for (long j = 0; j < d; j++) z[j, TensorIndex.Colon, j] = values;
        return vae.DecodeMean(z.reshape(d * steps, d)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The learned 2-D manifold (Kingma &amp; Welling 2014, Fig. 4): a grid z = (Phi^-1(u), Phi^-1(v)) with u, v evenly
    /// spaced in (0.05, 0.95), so the grid covers equal prior mass per cell; returns [n * n, F], rows of constant z_1 going down.
    /// </summary>
    public static Tensor Manifold(Vae vae, int n = 15)
    {
        Check.Argument(vae.LatentDim == 2, nameof(Manifold), "vae", $"a {vae.LatentDim}-D latent model", "a model with a 2-D latent space");
        Check.Argument(n >= 2, nameof(Manifold), "n", n.ToString(), "at least 2");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor like = vae.parameters().First();
        Tensor u = linspace(0.05, 0.95, n, dtype: like.dtype, device: like.device);
        Tensor q = special.erfinv(2 * u - 1) * Math.Sqrt(2);                      // Phi^-1(u)
        Tensor[] grid = meshgrid(new[] { q.flip(0), q }, indexing: "ij");
        Tensor z = stack(new[] { grid[1].flatten(), grid[0].flatten() }, -1);
        return vae.DecodeMean(z).MoveToOuterDisposeScope();
    }

    /// <summary>Posterior means mu(x) of every row of <paramref name="x"/>, in batches: [N, D].</summary>
    public static Tensor LatentMeans(Vae vae, Tensor x, int batchSize = 500)
    {
        Check.Positive(batchSize, nameof(LatentMeans), "batchSize");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var parts = new List<Tensor>();
        for (long s = 0; s < x.shape[0]; s += batchSize)
            parts.Add(vae.Posterior(x[TensorIndex.Slice(s, Math.Min(x.shape[0], s + batchSize))]).Loc);
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The first two principal components of rows [N, D] (the rows themselves when D = 2): [N, 2].</summary>
    public static Tensor Project2D(Tensor points)
    {
        Check.Argument(points.dim() == 2 && points.shape[1] >= 2, nameof(Project2D), "points",
            $"shape {Check.Shape(points.shape)}", "shape [N, D] with D >= 2");
        if (points.shape[1] == 2) return points.alias();
        using var scope = NewDisposeScope();
        Tensor centred = points - points.mean(new long[] { 0 }, keepdim: true);
        var (_, _, vh) = linalg.svd(centred, fullMatrices: false);
        return centred.matmul(vh[TensorIndex.Slice(0, 2)].t()).MoveToOuterDisposeScope();
    }
}
