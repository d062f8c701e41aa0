using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// Onto a half-line with a tensor bound b (<see cref="Constraint.GreaterThan(Tensor)"/>, <see cref="Constraint.LessThan(Tensor)"/>):
/// y = b + exp(x), x = log(y - b) for a lower bound; y = b - exp(x), x = log(b - y) for an upper one. In both
/// log |dy/dx| = x. The bound broadcasts against x, so it may be another parameter's value (e.g. [chains, 1]).
/// </summary>
public sealed class HalfLineBijector : Bijector
{
    internal HalfLineBijector(Tensor bound, bool upper) : base(upper ? "LessThan" : "GreaterThan", 0, 0)
    {
        Bound = bound;
        Upper = upper;
    }

    /// <summary>The bound b (not owned).</summary>
    public Tensor Bound { get; }

    /// <summary>True for y &lt; b, false for y &gt; b.</summary>
    public bool Upper { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (Upper ? Bound - x.exp() : Bound + x.exp()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Inverse(Tensor y)
    {
        using var scope = NewDisposeScope();
        return (Upper ? (Bound - y).log() : (y - Bound).log()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogAbsDetJacobian(Tensor x)
    {
        using var scope = NewDisposeScope();
        // The bound's shape may broadcast x up (a bound per chain): the log-det has the shape of y.
        return x.expand_as(Forward(x)).clone().MoveToOuterDisposeScope();
    }
}
