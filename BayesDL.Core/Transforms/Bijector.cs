using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// A smooth invertible map y = f(x) from an unconstrained space onto a constrained set (as torch.distributions.transforms
/// and TFP bijectors): <see cref="Forward"/> f, <see cref="Inverse"/> f^-1 and <see cref="LogAbsDetJacobian"/>
/// log |det df/dx|. Inference runs on x in R^n; a density p_Y on the constrained set becomes
/// p_X(x) = p_Y(f(x)) |det df/dx| (change of variables), so a sampler or a variational family on x adds the log-det term.
/// <para>
/// Shapes: x has shape <c>batch ++ input event</c> with <see cref="InputEventRank"/> event dimensions, y
/// <c>batch ++ output event</c>; any leading batch dimensions (chains, draws) are carried through. The log-det has the
/// batch shape: for element-wise bijectors (event rank 0) it is per element, the shape of x. Parameters such as
/// interval bounds are tensors that broadcast against the batch, so they may depend on other parameters.
/// For maps onto a manifold of lower dimension (the simplex, correlation Cholesky factors) the determinant is that of
/// the Jacobian onto the free coordinates (the first K - 1 simplex entries; the strictly lower triangle), the
/// volume in which the target densities (Dirichlet, LKJ) are written.
/// </para>
/// </summary>
public abstract class Bijector
{
    /// <summary>Sets the name and event ranks.</summary>
    protected Bijector(string name, int inputEventRank, int outputEventRank)
    {
        Name = name;
        InputEventRank = inputEventRank;
        OutputEventRank = outputEventRank;
    }

    /// <summary>A label for messages, e.g. "Interval".</summary>
    public string Name { get; }

    /// <summary>Event dimensions of the unconstrained x (0 for element-wise maps).</summary>
    public int InputEventRank { get; }

    /// <summary>Event dimensions of the constrained y (0 element-wise, 1 for vectors, 2 for matrices).</summary>
    public int OutputEventRank { get; }

    /// <summary>y = f(x), differentiable in x (and in tensor parameters).</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>x = f^-1(y); the boundary of the set maps to +-infinity, never NaN.</summary>
    public abstract Tensor Inverse(Tensor y);

    /// <summary>log |det df/dx| at x, shape <c>x.shape</c> without its <see cref="InputEventRank"/> last dimensions.</summary>
    public abstract Tensor LogAbsDetJacobian(Tensor x);

    /// <summary>
    /// True when <see cref="ChainRule"/> gives the gradient through this map in closed form (element-wise maps without tensor
    /// parameters). Otherwise a model's gradient differentiates <see cref="Forward"/> and <see cref="LogAbsDetJacobian"/> by
    /// autograd.
    /// </summary>
    internal virtual bool HasClosedFormChainRule => false;

    /// <summary>
    /// The gradient on the unconstrained space of f(y(x)) + log |dy/dx|, element-wise: g dy/dx + d log |dy/dx| / dx, given
    /// y = <see cref="Forward"/>(x) and g = df/dy (null for zero), without recording a graph. Only where
    /// <see cref="HasClosedFormChainRule"/>.
    /// </summary>
    internal virtual Tensor ChainRule(Tensor x, Tensor y, Tensor? gradientY) =>
        throw new NotSupportedException($"The {Name} bijector has no closed-form chain rule; differentiate it by autograd.");

    /// <summary>The event shape of y for an event shape of x (the same for shape-preserving maps).</summary>
    public virtual long[] ForwardShape(long[] inputEventShape) => inputEventShape;

    /// <summary>The event shape of x for an event shape of y (the same for shape-preserving maps).</summary>
    public virtual long[] InverseShape(long[] outputEventShape) => outputEventShape;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
