using BayesDL.Validation;

namespace BayesDL.Layers;

/// <summary>
/// Settings of a <see cref="ConcreteDropout"/> layer (Gal, Hron &amp; Kendall, NeurIPS 2017). The
/// regularizer added to a per-example loss is
/// WeightRegularizer · ‖W‖² / (1 − p) + WeightRegularizer · ‖b‖² − DropoutRegularizer · K · H(p),
/// which is (1/N)·KL(q‖p) of the paper with WeightRegularizer = l²/(2N) and DropoutRegularizer = 1/N
/// (see <see cref="ForDataset"/>).
/// </summary>
/// <param name="WeightRegularizer">Coefficient of the weight term, l²/(2N) for prior length-scale l and N training examples.</param>
/// <param name="DropoutRegularizer">Coefficient of the entropy term, 1/N.</param>
/// <param name="Temperature">Temperature t of the Concrete relaxation used in training (the paper uses 0.1).</param>
/// <param name="InitialP">Dropout probability at initialization, in (0, 1).</param>
public sealed record ConcreteDropoutOptions(
    double WeightRegularizer = 1e-6, double DropoutRegularizer = 1e-5, double Temperature = 0.1, double InitialP = 0.1)
{
    /// <summary>
    /// The paper's coefficients for N training examples and prior length-scale l (the prior
    /// W ~ N(0, l⁻² I)): WeightRegularizer = l²/(2N), DropoutRegularizer = 1/N.
    /// </summary>
    public static ConcreteDropoutOptions ForDataset(long trainingExamples, double lengthScale = 1e-2,
        double temperature = 0.1, double initialP = 0.1)
    {
        Check.Positive(trainingExamples, nameof(ConcreteDropoutOptions), nameof(trainingExamples), "Pass the number of training rows N.");
        Check.Positive(lengthScale, nameof(ConcreteDropoutOptions), nameof(lengthScale),
            "Use a prior length-scale of order 1e-2 (the default).");
        return new(lengthScale * lengthScale / (2.0 * trainingExamples), 1.0 / trainingExamples, temperature, initialP);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string component = nameof(ConcreteDropoutOptions);
        Check.Argument(double.IsFinite(WeightRegularizer) && WeightRegularizer >= 0, component, nameof(WeightRegularizer),
            WeightRegularizer.ToString("R"), ">= 0", "Use ConcreteDropoutOptions.ForDataset(N).");
        Check.Argument(double.IsFinite(DropoutRegularizer) && DropoutRegularizer >= 0, component, nameof(DropoutRegularizer),
            DropoutRegularizer.ToString("R"), ">= 0", "Use ConcreteDropoutOptions.ForDataset(N).");
        Check.Positive(Temperature, component, nameof(Temperature), "Use 0.1 (Gal, Hron & Kendall 2017).");
        Check.Argument(InitialP > 0 && InitialP < 1, component, nameof(InitialP), InitialP.ToString("R"), "in (0, 1)",
            "Start from a small rate such as 0.1.");
    }
}
