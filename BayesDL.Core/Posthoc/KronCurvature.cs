using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// Kronecker factors per dense layer (KFAC; Martens &amp; Grosse 2015, Ritter et al. 2018): A_l = sum_n a_n a_n^T [width, width] and
/// G_l = (1/N) sum_n sum_k u_nk u_nk^T [out, out], H_l ≈ G_l ⊗ A_l in the augmented layout (row-major [out, width]). With the
/// eigendecompositions G = Q_G diag(g) Q_G^T and A = Q_A diag(alpha) Q_A^T the posterior precision of layer l is
/// (Q_G ⊗ Q_A) diag(s g_i alpha_j + delta_l) (Q_G ⊗ Q_A)^T: log det = sum_ij log(s g_i alpha_j + delta_l), draws
/// Q_G (Z / sqrt(s g alpha^T + delta_l)) Q_A^T, and J Sigma J^T = sum_o g~_co g~_do sum_j a~_j^2 / (s g_o alpha_j + delta_l) with
/// g~ = g Q_G, a~ = a Q_A (Immer et al. 2021, app. B).
/// </summary>
internal sealed class KronCurvature : Curvature
{
    readonly Tensor[] _a, _g;
    Tensor?[] _eigA = [], _vecA = [], _eigG = [], _vecG = [], _scale = [];

    internal KronCurvature(DenseBlock[] blocks, Device device) : base(blocks)
    {
        _a = blocks.Select(b => zeros(b.Width, b.Width, dtype: ScalarType.Float64, device: device)).ToArray();
        _g = blocks.Select(b => zeros(b.Out, b.Out, dtype: ScalarType.Float64, device: device)).ToArray();
    }

    public override IReadOnlyList<(string Name, Tensor Value)> State =>
        [.. _a.Select((t, l) => ($"A{l}", t)), .. _g.Select((t, l) => ($"G{l}", t))];

    public override void Fit(Action<Action<Tensor[], Tensor[]>> pass, long n, int rank, long seed)
    {
        pass((a, u) =>
        {
            for (int l = 0; l < Blocks.Length; l++)
            {
                _a[l].addmm_(a[l].T, a[l]);
                _g[l].add_(einsum("bko,bkp->op", u[l], u[l]));
            }
        });
        foreach (var g in _g) g.div_(n);
        Finish();
    }

    public override void Finish()
    {
        DisposeDerived();
        int count = Blocks.Length;
        _eigA = new Tensor?[count]; _vecA = new Tensor?[count]; _eigG = new Tensor?[count]; _vecG = new Tensor?[count];
        _scale = new Tensor?[count];
        for (int l = 0; l < count; l++)
        {
            using var scope = NewDisposeScope();
            var (ea, va) = linalg.eigh(_a[l]);
            var (eg, vg) = linalg.eigh(_g[l]);
            Keep(ref _eigA[l], ea.clamp_min(0)); Keep(ref _vecA[l], va);
            Keep(ref _eigG[l], eg.clamp_min(0)); Keep(ref _vecG[l], vg);
        }
    }

    Tensor Eigenvalues(int l, Tensor delta, Tensor s) =>
        s * _eigG[l]!.outer(_eigA[l]!) + (delta.shape[0] == 1 ? delta[0] : delta[l]);

    public override Tensor LogDet(Tensor delta, Tensor s)
    {
        Tensor total = zeros([], dtype: ScalarType.Float64, device: _a[0].device);
        for (int l = 0; l < Blocks.Length; l++) total = total + Eigenvalues(l, delta, s).log().sum();
        return total;
    }

    public override void Prepare(Tensor delta, double s)
    {
        using var scope = NewDisposeScope();
        Tensor factor = tensor(s, dtype: ScalarType.Float64, device: _a[0].device);
        for (int l = 0; l < Blocks.Length; l++) Keep(ref _scale[l], Eigenvalues(l, delta, factor)); // [out, width]
    }

    public override Tensor Sample(Tensor z)
    {
        var parts = new Tensor[Blocks.Length];
        for (int l = 0; l < Blocks.Length; l++)
        {
            var b = Blocks[l];
            Tensor zl = b.FromTheta(z.narrow(1, b.SubsetOffset, b.Count)) / _scale[l]!.sqrt(); // [S, out, width]
            parts[l] = b.ToTheta(_vecG[l]!.matmul(zl).matmul(_vecA[l]!.T));
        }
        return cat(parts, 1);
    }

    public override Tensor FunctionalCovariance(Tensor[] a, Tensor[] g)
    {
        Tensor total = zeros(g[0].shape[0], g[0].shape[1], g[0].shape[1], dtype: ScalarType.Float64, device: g[0].device);
        for (int l = 0; l < Blocks.Length; l++)
        {
            Tensor gt = g[l].matmul(_vecG[l]!);                            // [B, C, out]
            Tensor w = a[l].matmul(_vecA[l]!).square().matmul(_scale[l]!.reciprocal().T); // [B, out]
            total = total + einsum("bco,bo,bdo->bcd", gt, w, gt);
        }
        return total;
    }

    public override Tensor Precision(Tensor delta, double s)
    {
        var blocks = new Tensor[Blocks.Length];
        for (int l = 0; l < Blocks.Length; l++)
        {
            var b = Blocks[l];
            Tensor p = (s * kron(_g[l], _a[l])).reshape(b.Out, b.Width, b.Out, b.Width);
            Tensor rows = b.ToTheta(p).permute(2, 0, 1);          // [count, out, width]
            Tensor prior = delta.shape[0] == 1 ? delta[0] : delta[l];
            blocks[l] = b.ToTheta(rows) + eye(b.Count, dtype: ScalarType.Float64, device: p.device) * prior;
        }
        return block_diag(blocks);
    }

    protected override void DisposeDerived()
    {
        foreach (var t in _eigA.Concat(_vecA).Concat(_eigG).Concat(_vecG).Concat(_scale)) t?.Dispose();
    }
}
