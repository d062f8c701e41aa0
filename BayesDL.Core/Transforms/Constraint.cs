using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Transforms;

/// <summary>
/// A constrained set of parameter values together with the <see cref="Bijector"/> that maps the real space onto it
/// (torch's <c>constraints</c> and <c>biject_to</c> in one value): inference runs on the unconstrained x, results are
/// reported as y = <see cref="Bijector"/>.Forward(x). Made by the factories (<see cref="Real"/>, <see cref="Positive"/>,
/// <see cref="Interval(Tensor, Tensor)"/>, <see cref="GreaterThan(Tensor)"/>, <see cref="LessThan(Tensor)"/>,
/// <see cref="Ordered"/>, <see cref="Simplex"/>, <see cref="CorrCholesky"/>). Bounds are tensors that are not owned and
/// broadcast against the value, so they may be computed from other parameters.
/// </summary>
public sealed class Constraint
{
    /// <summary>Relative tolerance of the equality constraints (sum to one, unit rows) in <see cref="Contains"/>.</summary>
    const double Tolerance = 1e-6;

    readonly Func<Tensor, Tensor> _contains;
    readonly Lazy<string> _description;

    Constraint(string name, Func<string> description, int eventRank, Bijector bijector, Func<Tensor, Tensor> contains)
    {
        Name = name;
        _description = new(description);
        EventRank = eventRank;
        Bijector = bijector;
        _contains = contains;
    }

    /// <summary>A short name, e.g. "Interval".</summary>
    public string Name { get; }

    /// <summary>The set in words, for messages, e.g. "in (0, 1)".</summary>
    public string Description => _description.Value;

    /// <summary>Event dimensions of a constrained value (0 element-wise, 1 for vectors, 2 for matrices).</summary>
    public int EventRank { get; }

    /// <summary>The map from R^n onto the set, with its inverse and log-det-Jacobian.</summary>
    public Bijector Bijector { get; }

    /// <summary>
    /// Whether each element of <paramref name="value"/> lies in the set (a boolean tensor of its shape; for vector and
    /// matrix constraints every element of an event carries that event's verdict). Non-finite values are outside.
    /// </summary>
    public Tensor Contains(Tensor value)
    {
        using var scope = NewDisposeScope();
        Tensor ok = _contains(value);
        for (long i = ok.dim(); i < value.dim(); i++) ok = ok.unsqueeze(-1);
        return ok.expand_as(value).logical_and(value.isfinite()).MoveToOuterDisposeScope();
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the component, parameter, offending element and this set.</summary>
    public void Check(Tensor value, string component, string parameter) =>
        Validation.Check.Satisfies(value, Contains, component, parameter, Description,
            "Start from a value inside the constraint, or leave the initial value out to start from the unconstrained origin.");

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Description})";

    /// <summary>The real line; <see cref="IdentityBijector"/>.</summary>
    public static Constraint Real { get; } = new("Real", () => "a real number", 0, new IdentityBijector(),
        v => ones_like(v, dtype: ScalarType.Bool));

    /// <summary>y &gt; 0; <see cref="ExpBijector"/>.</summary>
    public static Constraint Positive { get; } = new("Positive", () => "> 0", 0, new ExpBijector(), v => v.gt(0));

    /// <summary>y &gt; <paramref name="low"/>; <see cref="HalfLineBijector"/>.</summary>
    public static Constraint GreaterThan(Tensor low) => new("GreaterThan", () => $"> {Show(low)}", 0,
        new HalfLineBijector(low, upper: false), v => v.gt(low));

    /// <summary>y &lt; <paramref name="high"/>; <see cref="HalfLineBijector"/>.</summary>
    public static Constraint LessThan(Tensor high) => new("LessThan", () => $"< {Show(high)}", 0,
        new HalfLineBijector(high, upper: true), v => v.lt(high));

    /// <summary>a &lt; y &lt; b; <see cref="IntervalBijector"/>. Bounds may depend on other parameters
    /// (they broadcast against y).</summary>
    public static Constraint Interval(Tensor low, Tensor high) =>
        new("Interval", () => $"in ({Show(low)}, {Show(high)})", 0, new IntervalBijector(low, high),
            v => v.gt(low).logical_and(v.lt(high)));

    /// <summary>a &lt; y &lt; b with fixed bounds, as float64 scalars (they promote to the value's dtype).</summary>
    public static Constraint Interval(double low, double high)
    {
        Validation.Check.Argument(low < high, nameof(Constraint), nameof(high), $"{high:R} with low = {low:R}",
            "> low", "Pass bounds with low < high.");
        return Interval(tensor(low).DetachFromDisposeScope(), tensor(high).DetachFromDisposeScope());
    }

    /// <summary>Strictly increasing along the last dimension (Stan's <c>ordered</c>); <see cref="OrderedBijector"/>.</summary>
    public static Constraint Ordered { get; } = new("Ordered", () => "strictly increasing along the last dimension",
        1, new OrderedBijector(), v =>
    {
        long k = v.shape[^1];
        return k == 1 ? ones(v.shape[..^1], dtype: ScalarType.Bool, device: v.device) : v.diff(dim: -1).gt(0).all(-1);
    });

    /// <summary>Non-negative entries summing to one along the last dimension; <see cref="StickBreakingBijector"/>.</summary>
    public static Constraint Simplex { get; } =
        new("Simplex", () => "a probability vector (entries >= 0, summing to 1 along the last dimension)", 1,
        new StickBreakingBijector(), v => v.ge(0).all(-1).logical_and((v.sum(-1) - 1).abs().le(Tolerance)));

    /// <summary>
    /// Lower Cholesky factors of correlation matrices (lower triangular, positive diagonal, rows of unit length);
    /// <see cref="CorrCholeskyBijector"/>.
    /// </summary>
    public static Constraint CorrCholesky { get; } = new("CorrCholesky",
        () => "the lower Cholesky factor of a correlation matrix (lower triangular, positive diagonal, unit-length rows)",
        2, new CorrCholeskyBijector(), v =>
        {
            Tensor lowerOnly = v.triu(1).eq(0).all(-1).all(-1);
            Tensor diagonal = v.diagonal(0, -2, -1).gt(0).all(-1);
            Tensor unitRows = (v.square().sum(-1) - 1).abs().le(Tolerance).all(-1);
            return lowerOnly.logical_and(diagonal).logical_and(unitRows);
        });

    static string Show(Tensor t) =>
        t.numel() == 1 ? t.to(ScalarType.Float64, CPU).item<double>().ToString("G6")
            : $"a tensor of shape {Validation.Check.Shape(t.shape)}";
}
