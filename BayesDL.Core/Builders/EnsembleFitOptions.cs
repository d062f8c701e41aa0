namespace BayesDL.Builders;

/// <summary>
/// Settings of a deep ensemble (Lakshminarayanan, Pritzel &amp; Blundell 2017): M members, member m (from 0) initialised
/// after seeding the engine with Seed + m and trained with Adam on shuffled minibatches (shuffle seed Seed + m) to
/// minimise the negative log-likelihood -(1/B) sum_i log p(y_i | f_m(x_i)), a proper scoring rule.
/// </summary>
/// <param name="Members">The number of members M.</param>
/// <param name="Epochs">Passes over the training set per member.</param>
/// <param name="BatchSize">Rows per minibatch.</param>
/// <param name="LearningRate">Adam step size.</param>
/// <param name="Seed">Member m uses seed Seed + m for its initial weights and data order.</param>
public sealed record EnsembleFitOptions(int Members = 5, int Epochs = 10, int BatchSize = 128, double LearningRate = 1e-3, long Seed = 0)
{
    /// <summary>Out-of-range settings, each as an InvalidParameter error.</summary>
    public IReadOnlyList<BuildError> Invalid()
    {
        var errors = new List<BuildError>();
        void Need(bool ok, string name, object value, string expected)
        {
            if (!ok) errors.Add(new(BuildErrorKind.InvalidParameter, -1, "ensemble", $"{nameof(EnsembleFitOptions)}: '{name}' must be {expected}; found {value}."));
        }
        Need(Members >= 1, nameof(Members), Members, ">= 1");
        Need(Epochs >= 1, nameof(Epochs), Epochs, ">= 1");
        Need(BatchSize >= 1, nameof(BatchSize), BatchSize, ">= 1");
        Need(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "> 0 and finite");
        return errors;
    }
}
