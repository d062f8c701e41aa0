using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>The identity y = x on the real line (<see cref="Constraint.Real"/>): log |det J| = 0.</summary>
public sealed class IdentityBijector : Bijector
{
    internal IdentityBijector() : base("Identity", 0, 0)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.alias();

    /// <inheritdoc/>
    public override Tensor Inverse(Tensor y) => y.alias();

    /// <inheritdoc/>
    public override Tensor LogAbsDetJacobian(Tensor x) => zeros_like(x);

    internal override bool HasClosedFormChainRule => true;

    /// <inheritdoc/>
    internal override Tensor ChainRule(Tensor x, Tensor y, Tensor? gradientY) => gradientY ?? zeros_like(x);
}
