using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// Onto strictly increasing vectors (<see cref="Constraint.Ordered"/>, Stan's <c>ordered</c>) along the last dimension:
/// y_0 = x_0, y_k = y_{k-1} + exp(x_k); inverse x_0 = y_0, x_k = log(y_k - y_{k-1}). The Jacobian is lower
/// triangular with diagonal (1, exp(x_1), ..., exp(x_{K-1})), so log |det J| = sum_{k &gt;= 1} x_k.
/// </summary>
public sealed class OrderedBijector : Bijector
{
    internal OrderedBijector() : base("Ordered", 1, 1)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long k = x.shape[^1];
        Tensor first = x.narrow(-1, 0, 1);
        if (k == 1) return first.clone().MoveToOuterDisposeScope();
        return cat(new[] { first, first + x.narrow(-1, 1, k - 1).exp().cumsum(-1) }, -1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Inverse(Tensor y)
    {
        using var scope = NewDisposeScope();
        long k = y.shape[^1];
        Tensor first = y.narrow(-1, 0, 1);
        if (k == 1) return first.clone().MoveToOuterDisposeScope();
        return cat(new[] { first, (y.narrow(-1, 1, k - 1) - y.narrow(-1, 0, k - 1)).log() }, -1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogAbsDetJacobian(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.narrow(-1, 1, x.shape[^1] - 1).sum(-1).MoveToOuterDisposeScope();
    }
}
