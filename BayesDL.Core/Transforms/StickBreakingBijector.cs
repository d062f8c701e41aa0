using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// Onto the probability simplex {y in [0, 1]^K : sum y = 1} (<see cref="Constraint.Simplex"/>) from R^(K-1), by stick
/// breaking as in Stan: z_k = sigmoid(x_k - log(K - 1 - k)), y_k = z_k (1 - sum_{j&lt;k} y_j) for k &lt; K - 1, and
/// y_{K-1} the rest of the stick. The offset makes x = 0 the centre (y = 1/K). With r_k = prod_{j&lt;k} (1 - z_j) the
/// stick left before k, y_k = z_k r_k; as a map onto the free coordinates y_0..y_{K-2} the Jacobian is lower
/// triangular with diagonal r_k z_k (1 - z_k), so log |det J| = sum_k [log r_k + log sigmoid(x_k - o_k) + log sigmoid(o_k - x_k)].
/// Everything is computed in log space (log y_k = log sigmoid(x_k - o_k) + log r_k), so tiny entries neither underflow
/// early nor turn into NaN. The inverse is x_k = log y_k - log(sum_{j&gt;k} y_j) + o_k, with the tail sums taken from the
/// end so that small entries keep their precision.
/// </summary>
public sealed class StickBreakingBijector : Bijector
{
    internal StickBreakingBijector() : base("StickBreaking", 1, 1)
    {
    }

    /// <inheritdoc/>
    public override long[] ForwardShape(long[] inputEventShape) => new[] { inputEventShape[^1] + 1 };

    /// <inheritdoc/>
    public override long[] InverseShape(long[] outputEventShape) => new[] { outputEventShape[^1] - 1 };

    static Tensor Offset(Tensor x)
    {
        long m = x.shape[^1]; // K - 1
        return arange(m, 0, -1, dtype: x.dtype, device: x.device).log(); // log(K - 1 - k), k = 0..K-2
    }

    /// <summary>(log sigmoid(x - o), log r) with log r of length K (its last entry the rest of the stick).</summary>
    static (Tensor LogZ, Tensor LogRest) Pieces(Tensor x)
    {
        Tensor shifted = x - Offset(x);
        Tensor logZ = nn.functional.logsigmoid(shifted), logOneMinusZ = nn.functional.logsigmoid(-shifted);
        Tensor zero = zeros(x.shape[..^1].Append(1).ToArray(), dtype: x.dtype, device: x.device);
        return (logZ, cat(new[] { zero, logOneMinusZ.cumsum(-1) }, -1));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (logZ, logRest) = Pieces(x);
        long m = x.shape[^1];
        return cat(new[] { logZ + logRest.narrow(-1, 0, m), logRest.narrow(-1, m, 1) }, -1).exp().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Inverse(Tensor y)
    {
        using var scope = NewDisposeScope();
        long m = y.shape[^1] - 1;
        Tensor tail = y.flip(-1).cumsum(-1).flip(-1).narrow(-1, 1, m); // sum_{j > k} y_j
        Tensor head = y.narrow(-1, 0, m);
        return (head.log() - tail.log() + Offset(head)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogAbsDetJacobian(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (logZ, logRest) = Pieces(x);
        Tensor logOneMinusZ = nn.functional.logsigmoid(Offset(x) - x);
        return (logRest.narrow(-1, 0, x.shape[^1]) + logZ + logOneMinusZ).sum(-1).MoveToOuterDisposeScope();
    }
}
