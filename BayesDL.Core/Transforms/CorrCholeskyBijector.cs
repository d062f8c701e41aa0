using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// Onto lower Cholesky factors L of K x K correlation matrices (<see cref="Constraint.CorrCholesky"/>; unit-norm rows, positive
/// diagonal) from R^(K(K-1)/2), as in Stan (Lewandowski et al. 2009, canonical partial correlations). The strictly lower
/// entries are filled row by row, z = tanh(x) in (-1, 1), and each row is a stick of squared length one:
/// L_ij = z_ij sqrt(1 - sum_{k&lt;j} L_ik^2) = z_ij prod_{k&lt;j} sqrt(1 - z_ik^2), L_ii = prod_{k&lt;i} sqrt(1 - z_ik^2).
/// Onto the free coordinates (the strictly lower triangle, row-major) the Jacobian is triangular (L_ij depends on
/// z_ik, k &lt;= j, of its own row), so log |det J| = sum_{i&gt;j} [ (1/2) sum_{k&lt;j} log(1 - z_ik^2) + log(1 - z_ij^2) ],
/// the last term dz/dx = 1 - tanh^2 x, computed as 2 (log 2 - |x| - softplus(-2|x|)) so that it stays finite for large |x|.
/// Inverse: z_ij = L_ij / sqrt(1 - sum_{k&lt;j} L_ik^2), x = atanh z (in a form that stays exact near |z| = 1).
/// </summary>
public sealed class CorrCholeskyBijector : Bijector
{
    internal CorrCholeskyBijector() : base("CorrCholesky", 1, 2)
    {
    }

    /// <summary>K with K(K-1)/2 = m, or an error.</summary>
    internal static long Size(long m)
    {
        long k = (long)Math.Round((1 + Math.Sqrt(1 + 8.0 * m)) / 2);
        Validation.Check.Argument(k * (k - 1) / 2 == m && k >= 2, nameof(CorrCholeskyBijector), "x", $"last dimension {m}",
            "a triangular number K(K-1)/2 (1, 3, 6, 10, ...) with K >= 2", "Pass the K(K-1)/2 unconstrained values of a K x K factor.");
        return k;
    }

    /// <inheritdoc/>
    public override long[] ForwardShape(long[] inputEventShape) { long k = Size(inputEventShape[^1]); return new[] { k, k }; }

    /// <inheritdoc/>
    public override long[] InverseShape(long[] outputEventShape) => new[] { outputEventShape[^1] * (outputEventShape[^1] - 1) / 2 };

    /// <summary>Flat indices i K + j of the strictly lower triangle, row-major.</summary>
    static Tensor LowerIndices(long k, Device device)
    {
        var list = new List<long>();
        for (long i = 1; i < k; i++)
            for (long j = 0; j < i; j++) list.Add(i * k + j);
        return tensor(list.ToArray(), device: device);
    }

    /// <summary>The vector v [..., m] as the strictly lower triangle of a [..., K, K] matrix of zeros.</summary>
    static Tensor ToLower(Tensor v, long k)
    {
        long[] batch = v.shape[..^1];
        Tensor flat = zeros(batch.Append(k * k).ToArray(), dtype: v.dtype, device: v.device);
        return flat.index_copy(-1, LowerIndices(k, v.device), v).reshape(batch.Append(k).Append(k).ToArray());
    }

    static Tensor FromLower(Tensor m, long k) => m.flatten(-2).index_select(-1, LowerIndices(k, m.device));

    /// <summary>log(1 - tanh^2 x), stable for large |x|.</summary>
    static Tensor LogOneMinusTanhSquared(Tensor x)
    {
        Tensor a = x.abs();
        return 2 * (Math.Log(2) - a - nn.functional.softplus(-2 * a));
    }

    /// <summary>(1/2) sum_{k&lt;j} log(1 - z_ik^2) at every (i, j), as a [..., K, K] matrix (zero in row 0 and column 0).</summary>
    static Tensor LogRowFactor(Tensor x, long k)
    {
        Tensor l1m = ToLower(LogOneMinusTanhSquared(x), k);
        return 0.5 * (l1m.cumsum(-1) - l1m);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long k = Size(x.shape[^1]);
        Tensor factor = LogRowFactor(x, k).exp();
        Tensor z = ToLower(x.tanh(), k) + eye(k, dtype: x.dtype, device: x.device);
        return (z * factor).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Inverse(Tensor y)
    {
        using var scope = NewDisposeScope();
        long k = y.shape[^1];
        // 1 - sum_{k<j} L_ik^2 = sum_{k>=j} L_ik^2 on a unit row: the tail sum keeps its precision where 1 minus the head
        // would cancel. With r_j that tail, z = L_ij / sqrt(r_j) and 1 - z^2 = r_{j+1} / r_j, so
        // |x| = atanh|z| = log(1 + |z|) - (log r_{j+1} - log r_j) / 2, finite and exact even for |z| near 1.
        Tensor squares = y.square().tril();
        Tensor rest = squares.flip(-1).cumsum(-1).flip(-1);
        Tensor next = rest - squares;
        Tensor value = FromLower(y, k), r = FromLower(rest, k), rNext = FromLower(next, k);
        Tensor magnitude = (value.abs() / r.sqrt()).log1p() - 0.5 * (rNext.log() - r.log());
        return (value.sign() * magnitude).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogAbsDetJacobian(Tensor x)
    {
        using var scope = NewDisposeScope();
        long k = Size(x.shape[^1]);
        return (FromLower(LogRowFactor(x, k), k) + LogOneMinusTanhSquared(x)).sum(-1).MoveToOuterDisposeScope();
    }
}
