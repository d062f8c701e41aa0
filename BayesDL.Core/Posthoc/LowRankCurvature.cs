using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// The top k eigenpairs of H, H ≈ U diag(lambda) U^T (randomized range finder with one power iteration and 10 extra columns,
/// Halko et al. 2011, from products H V computed batch by batch without forming H), P = s U diag(lambda) U^T + delta I with one delta:
/// log det P = sum_i log(s lambda_i + delta) + (D - k) log delta, Sigma = (I - U diag(s lambda / (s lambda + delta)) U^T) / delta,
/// draws delta^(-1/2) (z - U diag(1 - sqrt(delta / (s lambda + delta))) U^T z).
/// </summary>
internal sealed class LowRankCurvature : Curvature
{
    const int Oversampling = 10;
    readonly Tensor _u, _lambda;
    double _delta = 1, _s = 1;

    internal LowRankCurvature(DenseBlock[] blocks, int rank, Device device) : base(blocks)
    {
        _u = zeros(Dimension, rank, dtype: ScalarType.Float64, device: device);
        _lambda = zeros(rank, dtype: ScalarType.Float64, device: device);
    }

    public override IReadOnlyList<(string Name, Tensor Value)> State => [("eigenvectors", _u), ("eigenvalues", _lambda)];

    public override void Fit(Action<Action<Tensor[], Tensor[]>> pass, long n, int rank, long seed)
    {
        using var scope = NewDisposeScope();
        long k = _lambda.shape[0], m = Math.Min(k + Oversampling, Dimension);
        var generator = new Generator((ulong)seed);
        Tensor omega = randn([Dimension, m], dtype: ScalarType.Float64, generator: generator).to(_u.device);
        Tensor q = linalg.qr(Product(pass, omega)).Q;
        q = linalg.qr(Product(pass, q)).Q;
        Tensor small = q.T.matmul(Product(pass, q));
        var (values, vectors) = linalg.eigh((small + small.T) / 2);
        Tensor top = values.argsort(descending: true).narrow(0, 0, k);
        _lambda.copy_(values.index_select(0, top).clamp_min(0));
        _u.copy_(q.matmul(vectors.index_select(1, top)));
        Finish();
    }

    /// <summary>H V [D, m] in one pass: per batch J V = sum_l u_l V_l a_l, then sum_l J_l^T (J V).</summary>
    Tensor Product(Action<Action<Tensor[], Tensor[]>> pass, Tensor v)
    {
        Tensor result = zeros_like(v);
        var columns = Blocks.Select(b => b.ColumnsFromTheta(v.narrow(0, b.SubsetOffset, b.Count))).ToArray(); // [out, width, m]
        pass((a, u) =>
        {
            Tensor jv = zeros(u[0].shape[0], u[0].shape[1], v.shape[1], dtype: ScalarType.Float64, device: v.device);
            for (int l = 0; l < Blocks.Length; l++) jv = jv + einsum("bko,oim,bi->bkm", u[l], columns[l], a[l]);
            for (int l = 0; l < Blocks.Length; l++)
            {
                var b = Blocks[l];
                result.narrow(0, b.SubsetOffset, b.Count).add_(b.ToTheta(einsum("bko,bi,bkm->moi", u[l], a[l], jv)).T);
            }
        });
        return result;
    }

    public override void Finish() { }

    public override Tensor LogDet(Tensor delta, Tensor s) =>
        (s * _lambda + delta[0]).log().sum() + (Dimension - _lambda.shape[0]) * delta[0].log();

    public override void Prepare(Tensor delta, double s)
    {
        _delta = delta[0].item<double>();
        _s = s;
    }

    public override Tensor Sample(Tensor z)
    {
        Tensor shrink = 1 - (_delta / (_s * _lambda + _delta)).sqrt();
        return (z - (z.matmul(_u) * shrink).matmul(_u.T)) / Math.Sqrt(_delta);
    }

    public override Tensor FunctionalCovariance(Tensor[] a, Tensor[] g)
    {
        long batch = g[0].shape[0], c = g[0].shape[1];
        Tensor jj = zeros(batch, c, c, dtype: ScalarType.Float64, device: g[0].device);
        Tensor ju = zeros(batch, c, _lambda.shape[0], dtype: ScalarType.Float64, device: g[0].device);
        for (int l = 0; l < Blocks.Length; l++)
        {
            var b = Blocks[l];
            jj = jj + g[l].matmul(g[l].transpose(1, 2)) * a[l].square().sum(1).view(-1, 1, 1);
            ju = ju + einsum("bco,oik,bi->bck", g[l], b.ColumnsFromTheta(_u.narrow(0, b.SubsetOffset, b.Count)), a[l]);
        }
        Tensor keep = _s * _lambda / (_s * _lambda + _delta);
        return (jj - (ju * keep).matmul(ju.transpose(1, 2))) / _delta;
    }

    public override Tensor Precision(Tensor delta, double s) =>
        (_u * (s * _lambda)).matmul(_u.T) + eye(Dimension, dtype: ScalarType.Float64, device: _u.device) * delta[0];

    protected override void DisposeDerived() { }
}
