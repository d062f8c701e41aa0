using BayesDL.Distributions;
using BayesDL.Transforms;

namespace BayesDL.Modeling;

/// <summary>
/// The constraint a parameter gets from its prior's support when none is given (as torch's <c>biject_to(d.support)</c>):
/// real-valued families the real line, scale families the positive half-line, Beta (0, 1), Uniform its own (tensor)
/// bounds, Dirichlet the simplex. A family not listed is an error asking for an explicit constraint.
/// </summary>
internal static class DefaultConstraint
{
    internal static Constraint For(Distribution prior, string site) => prior switch
    {
        Normal or Laplace or StudentT or MultivariateNormal or LowRankMultivariateNormal or ScaleMixtureNormal => Constraint.Real,
        HalfCauchy or HalfNormal or Exponential or Gamma or LogNormal => Constraint.Positive,
        Beta => Constraint.Interval(0.0, 1.0),
        Uniform u => Constraint.Interval(u.Low, u.High),
        Dirichlet => Constraint.Simplex,
        Independent i => For(i.Base, site),
        _ => throw Validation.Check.Error(nameof(Model), $"constraint of '{site}'",
        $"a {prior.Name} prior, whose support has no default constraint",
            "given for this prior", "Pass a constraint, e.g. Constraint.Positive, to Sample."),
    };
}
