using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// The generalized Gauss-Newton matrix H = sum_n J_n^T Lambda_n J_n of a Laplace subset in one <see cref="HessianStructure"/>, at unit
/// noise (a Gaussian likelihood's 1/sigma^2 is the factor s applied later), and the posterior it gives with prior precisions delta
/// (one, or one per dense layer) and s: precision P = s H + diag(delta). Accumulated from per-batch factors: the layers' inputs a
/// [B, width] and u [B, K, out] = Lambda^(1/2)-weighted output gradients, so that
/// J_n^T Lambda_n J_n = sum_k vec(u_nk a_n^T) vec(u_nk a_n^T)^T.
/// All in float64; owns its tensors (<see cref="State"/> is what a model file stores).
/// </summary>
internal abstract class Curvature : IDisposable
{
    protected Curvature(DenseBlock[] blocks)
    {
        Blocks = blocks;
        Dimension = blocks.Sum(b => b.Count);
    }

    /// <summary>The subset's dense layers.</summary>
    public DenseBlock[] Blocks { get; }

    /// <summary>D, the subset's weights.</summary>
    public long Dimension { get; }

    /// <summary>The tensors that define H (allocated at construction, filled by <see cref="Fit"/> or by a model file).</summary>
    public abstract IReadOnlyList<(string Name, Tensor Value)> State { get; }

    /// <summary>
    /// Accumulates H: <paramref name="pass"/> runs one pass over the training data, calling its argument with (a, u) per batch inside
    /// a dispose scope; n is the number of examples. Then <see cref="Finish"/>.
    /// </summary>
    public abstract void Fit(Action<Action<Tensor[], Tensor[]>> pass, long n, int rank, long seed);

    /// <summary>Derived tensors (eigendecompositions) once <see cref="State"/> holds H.</summary>
    public abstract void Finish();

    /// <summary>log det (s H + diag(delta)), differentiable in delta [1] or [L] and s (scalar).</summary>
    public abstract Tensor LogDet(Tensor delta, Tensor s);

    /// <summary>Caches what sampling and the predictive need for these delta and s.</summary>
    public abstract void Prepare(Tensor delta, double s);

    /// <summary>Draws theta - theta* ~ N(0, P^-1) from standard normal z [S, D].</summary>
    public abstract Tensor Sample(Tensor z);

    /// <summary>J Sigma J^T [B, C, C] for Jacobians given per layer as a [B, width] and g [B, C, out] (J_c = vec(g_c a^T)).</summary>
    public abstract Tensor FunctionalCovariance(Tensor[] a, Tensor[] g);

    /// <summary>The dense posterior precision P [D, D] in theta's layout (for tests and small subsets).</summary>
    public abstract Tensor Precision(Tensor delta, double s);

    /// <summary>delta per weight [D] from delta [1] or [L].</summary>
    public Tensor DeltaVector(Tensor delta) =>
        delta.shape[0] == 1 ? delta.expand(Dimension) : cat(Blocks.Select((b, l) => delta[l].expand(b.Count)).ToArray());

    /// <summary>An empty (zero) H of <paramref name="structure"/> for <paramref name="blocks"/> on a device.</summary>
    public static Curvature Create(HessianStructure structure, DenseBlock[] blocks, int rank, Device device) => structure switch
    {
        HessianStructure.Diagonal => new DiagonalCurvature(blocks, device),
        HessianStructure.Kron => new KronCurvature(blocks, device),
        HessianStructure.Full => new FullCurvature(blocks, device),
        _ => new LowRankCurvature(blocks, (int)Math.Min(rank, blocks.Sum(b => b.Count)), device),
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (_, t) in State) t.Dispose();
        DisposeDerived();
    }

    /// <summary>Frees the tensors <see cref="Finish"/> and <see cref="Prepare"/> made.</summary>
    protected abstract void DisposeDerived();

    /// <summary>Replaces a cached tensor, freeing the old one; the new one leaves every dispose scope.</summary>
    protected static void Keep(ref Tensor? slot, Tensor value)
    {
        slot?.Dispose();
        slot = value.DetachFromDisposeScope();
    }
}
