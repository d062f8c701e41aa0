using BayesDL.Layers;

namespace BayesDL.Builders;

/// <summary>Factories for weight priors of Bayesian layers (see <see cref="PriorSpec"/>).</summary>
public static class Priors
{
    /// <summary>N(loc, scale^2) on every weight; N(0, 1) is the Bayes-by-Backprop default.</summary>
    public static PriorSpec Normal(double loc = 0.0, double scale = 1.0) => PriorSpec.Normal(loc, scale);
}
