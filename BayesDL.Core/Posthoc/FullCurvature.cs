using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// The full GGN H [D, D] = sum_n J_n^T Lambda_n J_n, P = s H + diag(delta). With one delta, log det P = sum_i log(s lambda_i + delta)
/// from H's eigenvalues (once); per layer, from a Cholesky factor. Draws L^-T z with P = L L^T; Sigma = P^-1. J Sigma J^T contracts
/// the inputs first: for layers l, m, M[b] = a_l[b]^T Sigma_lm a_m[b] [out_l, out_m], then g_l M g_m^T (B out^2 width^2 operations per
/// pair instead of B C D^2).
/// </summary>
internal sealed class FullCurvature : Curvature
{
    readonly Tensor _h;
    Tensor? _eigenvalues, _cholesky;
    Tensor?[] _blocks = [];

    internal FullCurvature(DenseBlock[] blocks, Device device) : base(blocks) =>
        _h = zeros(Dimension, Dimension, dtype: ScalarType.Float64, device: device);

    public override IReadOnlyList<(string Name, Tensor Value)> State => [("full", _h)];

    public override void Fit(Action<Action<Tensor[], Tensor[]>> pass, long n, int rank, long seed)
    {
        // Per pair of layers, H_lm = sum_b (u_l^T u_m)_b ⊗ a_l,b a_m,b^T: B out_l out_m width_l width_m operations, not B K D^2.
        pass((a, u) =>
        {
            for (int l = 0; l < Blocks.Length; l++)
                for (int m = 0; m < Blocks.Length; m++)
                {
                    var (r, c) = (Blocks[l], Blocks[m]);
                    Tensor block = einsum("bop,bi,bj->oipj", einsum("bko,bkp->bop", u[l], u[m]), a[l], a[m]);
                    Tensor rows = r.ToTheta(c.ToTheta(block).permute(2, 0, 1)).T; // [count_l, count_m]
                    _h.narrow(0, r.SubsetOffset, r.Count).narrow(1, c.SubsetOffset, c.Count).add_(rows);
                }
        });
        Finish();
    }

    public override void Finish()
    {
        using var scope = NewDisposeScope();
        _h.copy_((_h + _h.T) / 2);
        Keep(ref _eigenvalues, linalg.eigvalsh(_h).clamp_min(0));
    }

    public override Tensor LogDet(Tensor delta, Tensor s)
    {
        if (delta.shape[0] == 1 || Blocks.Length == 1) return (s * _eigenvalues! + delta[0]).log().sum();
        Tensor l = linalg.cholesky(s * _h + diag(DeltaVector(delta)));
        return 2 * l.diagonal().log().sum();
    }

    public override void Prepare(Tensor delta, double s)
    {
        using var scope = NewDisposeScope();
        Tensor l = linalg.cholesky(Precision(delta, s));
        Keep(ref _cholesky, l);
        Tensor covariance = cholesky_inverse(l);
        foreach (var t in _blocks) t?.Dispose();
        _blocks = new Tensor?[Blocks.Length * Blocks.Length];
        for (int i = 0; i < Blocks.Length; i++)
            for (int j = 0; j < Blocks.Length; j++)
            {
                var (r, c) = (Blocks[i], Blocks[j]);
                // Sigma's block (rows of layer i, columns of layer j) as [out_j, width_j, out_i, width_i]
                Tensor part = c.FromTheta(covariance.narrow(0, r.SubsetOffset, r.Count).narrow(1, c.SubsetOffset, c.Count));
                Keep(ref _blocks[i * Blocks.Length + j], r.FromTheta(part.permute(1, 2, 0)).contiguous());
            }
    }

    public override Tensor Sample(Tensor z) => linalg.solve_triangular(_cholesky!.T, z.T, upper: true).T;

    public override Tensor FunctionalCovariance(Tensor[] a, Tensor[] g)
    {
        Tensor total = zeros(g[0].shape[0], g[0].shape[1], g[0].shape[1], dtype: ScalarType.Float64, device: g[0].device);
        for (int i = 0; i < Blocks.Length; i++)
            for (int j = 0; j < Blocks.Length; j++)
            {
                Tensor m = einsum("bi,pjoi,bj->bop", a[i], _blocks[i * Blocks.Length + j]!, a[j]); // [B, out_i, out_j]
                total = total + g[i].matmul(m).matmul(g[j].transpose(1, 2));
            }
        return total;
    }

    public override Tensor Precision(Tensor delta, double s) => s * _h + diag(DeltaVector(delta));

    protected override void DisposeDerived()
    {
        _eigenvalues?.Dispose(); _cholesky?.Dispose();
        foreach (var t in _blocks) t?.Dispose();
    }
}
