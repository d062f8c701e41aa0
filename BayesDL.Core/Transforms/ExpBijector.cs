using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// Onto the positive half-line (<see cref="Constraint.Positive"/>): y = exp(x), x = log y, log |dy/dx| = x.
/// Stan's choice; exp(x) overflows to +infinity only for x &gt; 709 in float64.
/// </summary>
public sealed class ExpBijector : Bijector
{
    internal ExpBijector() : base("Exp", 0, 0)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.exp();

    /// <inheritdoc/>
    public override Tensor Inverse(Tensor y) => y.log();

    /// <inheritdoc/>
    public override Tensor LogAbsDetJacobian(Tensor x) => x.alias();

    static readonly Scalar One = 1.0.ToScalar(); // kept alive: a temporary Scalar can be finalized during the native call

    internal override bool HasClosedFormChainRule => true;

    /// <summary>dy/dx = y and d log |dy/dx| / dx = 1: g y + 1.</summary>
    internal override Tensor ChainRule(Tensor x, Tensor y, Tensor? gradientY) =>
        gradientY is null ? ones_like(x) : (gradientY * y).add_(One);
}
