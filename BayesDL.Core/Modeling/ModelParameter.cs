namespace BayesDL.Modeling;

/// <summary>
/// One sampled parameter of a <see cref="Model"/>: its name, its shape on the constrained scale (empty for a scalar),
/// its constraint, and where its unconstrained coordinates sit in the flat vector the samplers see
/// (<see cref="Offset"/>, <see cref="Length"/>; a simplex of K entries takes K - 1, a K x K correlation Cholesky factor K(K-1)/2).
/// </summary>
/// <param name="Name">The name given at
/// <see cref="ModelContext.Sample(string, Distributions.Distribution, long[], Transforms.Constraint)"/>.</param>
/// <param name="Shape">The shape of one value (without the leading chain dimension).</param>
/// <param name="Constraint">The name of the <see cref="Transforms.Constraint"/> its values lie in (the prior's support unless given), e.g.
/// "Positive"; bounds computed in the body may differ per evaluation.</param>
/// <param name="UnconstrainedShape">The shape of its unconstrained coordinates.</param>
/// <param name="Offset">Its first coordinate in the flat unconstrained vector.</param>
/// <param name="Length">Its number of unconstrained coordinates.</param>
public sealed record ModelParameter(string Name, long[] Shape, string Constraint, long[] UnconstrainedShape, int Offset, int Length)
{
    /// <summary>"tau: Positive, shape ()".</summary>
    public override string ToString() => $"{Name}: {Constraint}, shape {Validation.Check.Shape(Shape)}";
}
