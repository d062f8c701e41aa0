using BayesDL.Distributions;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// A weight prior p(w), element-wise and identical for every weight of a layer, described by a family name
/// and scalar parameters so it can be saved with the model and rebuilt as a registry distribution on any device.
/// Families: "Normal" (loc, scale).
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

    /// <summary>The prior as a distribution with scalar (batch-shape ()) parameters on the given device and dtype.</summary>
    public Distribution Build(Device device, ScalarType dtype)
    {
        Tensor P(int i) => tensor(Parameters[i], dtype: dtype, device: device);
        return Family switch
        {
            "Normal" when Parameters.Length == 2 => Dist.Normal(P(0), P(1), validate: false),
            _ => throw Check.Error(nameof(PriorSpec), nameof(Family), $"\"{Family}\" with {Parameters.Length} parameters",
                "a known prior family with its parameters: Normal(loc, scale)", "Build priors with the PriorSpec factories."),
        };
    }

    /// <inheritdoc/>
    public bool Equals(PriorSpec? other) => other is not null && Family == other.Family && Parameters.SequenceEqual(other.Parameters);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Family, Parameters.Length == 0 ? 0 : Parameters[0]);

    /// <inheritdoc/>
    public override string ToString() => $"{Family}({string.Join(", ", Parameters.Select(p => p.ToString("R")))})";
}
