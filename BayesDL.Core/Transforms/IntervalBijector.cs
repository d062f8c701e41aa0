using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// Onto the open interval (a, b) with tensor bounds (<see cref="Constraint.Interval(Tensor, Tensor)"/>):
/// y = a + (b - a) sigmoid(x), x = logit((y - a)/(b - a)) = log(y - a) - log(b - y),
/// log |dy/dx| = log(b - a) + log sigmoid(x) + log sigmoid(-x) = log(b - a) - softplus(-x) - softplus(x).
/// The bounds broadcast against x, so they may depend on other parameters (beta1 in (0, 1 - alpha1)).
/// Numerics: for x &gt; 0 y is computed as b - (b - a) sigmoid(-x), so values near either end keep their relative
/// precision; the inverse takes two logarithms instead of a logit of a rounded ratio, so y within 1e-300 of a bound
/// still round-trips, and a bound itself maps to +-infinity (not NaN).
/// </summary>
public sealed class IntervalBijector : Bijector
{
    internal IntervalBijector(Tensor low, Tensor high) : base("Interval", 0, 0)
    {
        Low = low;
        High = high;
    }

    /// <summary>The lower end a (not owned).</summary>
    public Tensor Low { get; }

    /// <summary>The upper end b &gt; a (not owned).</summary>
    public Tensor High { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor width = High - Low;
        Tensor fromLow = Low + width * x.sigmoid(), fromHigh = High - width * (-x).sigmoid();
        return where(x.gt(0), fromHigh, fromLow).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Inverse(Tensor y)
    {
        using var scope = NewDisposeScope();
        return ((y - Low).log() - (High - y).log()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogAbsDetJacobian(Tensor x)
    {
        using var scope = NewDisposeScope();
        return ((High - Low).log() - nn.functional.softplus(-x) - nn.functional.softplus(x)).MoveToOuterDisposeScope();
    }
}
