using BayesDL.Distributions;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// A weight prior p(w), element-wise and identical for every weight of a layer, described by a family name
/// and scalar parameters so it can be saved with the model and rebuilt as a registry distribution on any device.
/// Families: "Normal" (loc, scale), "Laplace" (loc, scale), "ScaleMixtureNormal" (pi, sigma1, sigma2; Blundell et al. 2015).
/// </summary>
/// <param name="Family">The distribution family.</param>
/// <param name="Parameters">The family's scalar parameters, in the order of its factory.</param>
public sealed record PriorSpec(string Family, double[] Parameters)
{
    /// <summary>N(loc, scale^2) on every weight; the Bayes-by-Backprop default is N(0, 1).</summary>
    public static PriorSpec Normal(double loc = 0.0, double scale = 1.0)
    {
        Check.Argument(double.IsFinite(loc), nameof(PriorSpec), nameof(loc), loc.ToString("R"), "finite");
        Check.Positive(scale, nameof(PriorSpec), nameof(scale));
        return new("Normal", new[] { loc, scale });
    }

    /// <summary>Laplace(loc, scale) on every weight: a sparsity-favouring prior (KL from a Normal posterior in closed form).</summary>
    public static PriorSpec Laplace(double loc = 0.0, double scale = 1.0)
    {
        Check.Argument(double.IsFinite(loc), nameof(PriorSpec), nameof(loc), loc.ToString("R"), "finite");
        Check.Positive(scale, nameof(PriorSpec), nameof(scale));
        return new("Laplace", new[] { loc, scale });
    }

    /// <summary>
    /// pi N(0, sigma1^2) + (1 - pi) N(0, sigma2^2) on every weight (Blundell et al. 2015; e.g. 0.5, 1, e^-6);
    /// its log density is a logsumexp and its KL is estimated by Monte Carlo.
    /// </summary>
    public static PriorSpec ScaleMixture(double pi = 0.5, double sigma1 = 1.0, double sigma2 = 0.0025)
    {
        Check.InRange(pi, 0.0, 1.0, nameof(PriorSpec), nameof(pi));
        Check.Positive(sigma1, nameof(PriorSpec), nameof(sigma1));
        Check.Positive(sigma2, nameof(PriorSpec), nameof(sigma2));
        return new("ScaleMixtureNormal", new[] { pi, sigma1, sigma2 });
    }

    /// <summary>The prior as a distribution with scalar (batch-shape ()) parameters on the given device and dtype.</summary>
    public Distribution Build(Device device, ScalarType dtype)
    {
        Tensor P(int i) => tensor(Parameters[i], dtype: dtype, device: device);
        return Family switch
        {
            "Normal" when Parameters.Length == 2 => Dist.Normal(P(0), P(1), validate: false),
            "Laplace" when Parameters.Length == 2 => Dist.Laplace(P(0), P(1), validate: false),
            "ScaleMixtureNormal" when Parameters.Length == 3 => Dist.ScaleMixtureNormal(P(0), P(1), P(2), validate: false),
            _ => throw Check.Error(nameof(PriorSpec), nameof(Family), $"\"{Family}\" with {Parameters.Length} parameters",
                "a known prior family with its parameters: Normal(loc, scale), Laplace(loc, scale), ScaleMixtureNormal(pi, sigma1, sigma2)",
                "Build priors with the PriorSpec factories."),
        };
    }

    /// <inheritdoc/>
    public bool Equals(PriorSpec? other) => other is not null && Family == other.Family && Parameters.SequenceEqual(other.Parameters);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Family, Parameters.Length == 0 ? 0 : Parameters[0]);

    /// <inheritdoc/>
    public override string ToString() => $"{Family}({string.Join(", ", Parameters.Select(p => p.ToString("R")))})";
}
