using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>H's diagonal h [D]: h_i = sum_n sum_k (J_n^T Lambda_n^(1/2))_ik^2; P = diag(s h + delta).</summary>
internal sealed class DiagonalCurvature : Curvature
{
    readonly Tensor _h;
    Tensor? _variance;

    internal DiagonalCurvature(DenseBlock[] blocks, Device device) : base(blocks) =>
        _h = zeros(Dimension, dtype: ScalarType.Float64, device: device);

    public override IReadOnlyList<(string Name, Tensor Value)> State => [("diagonal", _h)];

    public override void Fit(Action<Action<Tensor[], Tensor[]>> pass, long n, int rank, long seed)
    {
        pass((a, u) =>
        {
            for (int l = 0; l < Blocks.Length; l++)
            {
                var b = Blocks[l];
                _h.narrow(0, b.SubsetOffset, b.Count).add_(b.ToTheta(einsum("bko,bi->oi", u[l].square(), a[l].square())));
            }
        });
        Finish();
    }

    public override void Finish() { }

    public override Tensor LogDet(Tensor delta, Tensor s) => (s * _h + DeltaVector(delta)).log().sum();

    public override void Prepare(Tensor delta, double s)
    {
        using var scope = NewDisposeScope();
        Keep(ref _variance, (s * _h + DeltaVector(delta)).reciprocal());
    }

    public override Tensor Sample(Tensor z) => z * _variance!.sqrt();

    public override Tensor FunctionalCovariance(Tensor[] a, Tensor[] g)
    {
        Tensor total = zeros(g[0].shape[0], g[0].shape[1], g[0].shape[1], dtype: ScalarType.Float64, device: g[0].device);
        for (int l = 0; l < Blocks.Length; l++)
        {
            Tensor v = Blocks[l].FromTheta(_variance!.narrow(0, Blocks[l].SubsetOffset, Blocks[l].Count)); // [out, width]
            total = total + einsum("bco,bdo,bo->bcd", g[l], g[l], a[l].square().matmul(v.T));
        }
        return total;
    }

    public override Tensor Precision(Tensor delta, double s) => diag(s * _h + DeltaVector(delta));

    protected override void DisposeDerived() => _variance?.Dispose();
}
