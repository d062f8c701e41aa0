using BayesDL.Training;
using BayesDL.Validation;

namespace BayesDL.Builders;

/// <summary>
/// Settings of an MC dropout fit (<see cref="BuiltModel.FitMCDropout"/>): Adam over shuffled minibatches minimising the
/// per-example loss  L = ℓ_data + Σ_i λ_i (‖W_i‖² + ‖b_i‖²),  with
/// <list type="bullet">
/// <item>the data term ℓ_data = −(1/B) Σ_n log p(y_n | x_n, ω_n) of one dropout mask ω_n per example (plain dropout
/// training, Gal &amp; Ghahramani 2016) when <see cref="Alpha"/> is null, or the α-divergence term
/// ℓ_α = −(1/B) Σ_n (1/α) log (1/K) Σ_k p(y_n | x_n, ω_nk)^α over K masks (Li &amp; Gal, ICML 2017;
/// <see cref="Objectives.AlphaDivergenceObjective"/>) when it is set;</item>
/// <item>the length-scale prior's weight decay λ_i = l² (1 − p_i) / (2N) (Gal &amp; Ghahramani 2016, appendix;
/// <see cref="Layers.MCDropoutPrior"/> with τ = 1, because the data term is the model's full negative log-likelihood,
/// noise precision included) when <see cref="LengthScale"/> is set, else no prior term.</item>
/// </list>
/// The MNIST benchmark's recipe is LengthScale 1.5, Alpha 0.5, TrainingMasks 10.
/// </summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Rows per minibatch.</param>
/// <param name="LearningRate">Adam step size.</param>
/// <param name="Seed">Seeds the dropout masks and the shuffling (as <see cref="VariationalFitOptions.Seed"/>).</param>
/// <param name="LengthScale">Prior length-scale l &gt; 0 (prior W ~ N(0, l⁻² I)); inputs in [0, 1] suggest l of order 1.
/// Null: no prior term.</param>
/// <param name="Alpha">α &gt; 0 of the α-divergence data term (0.5 in Li &amp; Gal 2017). Null: the plain dropout loss
/// (the α → 0 limit).</param>
/// <param name="TrainingMasks">K, dropout masks per example in the α-divergence term (one batched pass over K replicas); the
/// plain loss uses one.</param>
/// <param name="Checkpoint">Checkpoint the fit atomically and resume a killed fit exactly
/// (<see cref="CheckpointOptions"/>); null: none.</param>
public sealed record MCDropoutFitOptions(int Epochs = 10, int BatchSize = 128, double LearningRate = 1e-3, long Seed = 0,
                                         double? LengthScale = null, double? Alpha = null, int TrainingMasks = 10,
                                         CheckpointOptions? Checkpoint = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string component = nameof(MCDropoutFitOptions);
        Check.Positive(Epochs, component, nameof(Epochs), "Pass at least one epoch (a pass over the training set).");
        Check.Positive(BatchSize, component, nameof(BatchSize), "Pass the rows per minibatch, e.g. 128.");
        Check.Positive(LearningRate, component, nameof(LearningRate), "Adam's usual step size is 1e-3; lower it if the loss diverges.");
        Check.Argument(LengthScale is null || (double.IsFinite(LengthScale.Value) && LengthScale.Value > 0), component, nameof(LengthScale),
            LengthScale?.ToString("R") ?? "null", "a finite length-scale l > 0, or null for no prior",
            "Inputs scaled to [0, 1] suggest l of order 1 (the benchmarks use 1.5).");
        Check.Argument(Alpha is null || (double.IsFinite(Alpha.Value) && Alpha.Value > 0), component, nameof(Alpha),
            Alpha?.ToString("R") ?? "null", "a finite α > 0, or null for the plain dropout loss",
            "Use 0.5 (Li & Gal 2017); for α → 0 leave Alpha null.");
        Check.Argument(TrainingMasks >= 1, component, nameof(TrainingMasks), TrainingMasks.ToString(),
            "a positive integer (masks per example)", "Use 10 (Li & Gal 2017).");
        Checkpoint?.Validate(component);
    }
}
