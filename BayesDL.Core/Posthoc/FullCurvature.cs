using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// The full GGN H [D, D] = sum_n J_n^T Lambda_n J_n, P = s H + diag(delta). With one delta, log det P = sum_i log(s lambda_i + delta)
/// from H's eigenvalues (once); per layer, from a Cholesky factor. Draws L^-T z with P = L L^T; Sigma = P^-1.
/// </summary>
internal sealed class FullCurvature : Curvature
{
    readonly Tensor _h;
    Tensor? _eigenvalues, _cholesky, _covariance;

    internal FullCurvature(DenseBlock[] blocks, Device device) : base(blocks) =>
        _h = zeros(Dimension, Dimension, dtype: ScalarType.Float64, device: device);

    public override IReadOnlyList<(string Name, Tensor Value)> State => [("full", _h)];

    public override void Fit(Action<Action<Tensor[], Tensor[]>> pass, long n, int rank, long seed)
    {
        pass((a, u) =>
        {
            Tensor r = cat(Blocks.Select((b, l) => Rows(b, a[l], u[l])).ToArray(), -1).reshape(-1, Dimension);
            _h.addmm_(r.T, r);
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
        Keep(ref _covariance, cholesky_inverse(l));
    }

    public override Tensor Sample(Tensor z) => linalg.solve_triangular(_cholesky!.T, z.T, upper: true).T;

    public override Tensor FunctionalCovariance(Tensor[] a, Tensor[] g)
    {
        Tensor j = cat(Blocks.Select((b, l) => Rows(b, a[l], g[l])).ToArray(), -1); // [B, C, D]
        return j.matmul(_covariance!).matmul(j.transpose(1, 2));
    }

    public override Tensor Precision(Tensor delta, double s) => s * _h + diag(DeltaVector(delta));

    protected override void DisposeDerived()
    {
        _eigenvalues?.Dispose(); _cholesky?.Dispose(); _covariance?.Dispose();
    }
}
