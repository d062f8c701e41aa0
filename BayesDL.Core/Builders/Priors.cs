using BayesDL.Layers;

namespace BayesDL.Builders;

/// <summary>Factories for weight priors of Bayesian layers (see <see cref="PriorSpec"/>).</summary>
public static class Priors
{
    /// <summary>N(loc, scale^2) on every weight; N(0, 1) is the Bayes-by-Backprop default.</summary>
    public static PriorSpec Normal(double loc = 0.0, double scale = 1.0) => PriorSpec.Normal(loc, scale);

    /// <summary>Laplace(loc, scale) on every weight (a sparsity-favouring prior).</summary>
    public static PriorSpec Laplace(double loc = 0.0, double scale = 1.0) => PriorSpec.Laplace(loc, scale);

    /// <summary>pi N(0, sigma1^2) + (1 - pi) N(0, sigma2^2) on every weight (Blundell et al. 2015); no closed-form KL.</summary>
    public static PriorSpec ScaleMixture(double pi = 0.5, double sigma1 = 1.0, double sigma2 = 0.0025) =>
        PriorSpec.ScaleMixture(pi, sigma1, sigma2);
}
