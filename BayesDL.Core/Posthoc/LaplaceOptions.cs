using BayesDL.Validation;

namespace BayesDL.Posthoc;

/// <summary>
/// Settings of a post-hoc Laplace approximation (MacKay 1992; Ritter et al. 2018; Immer et al. 2021; Daxberger et al. 2021):
/// p(theta | D) ≈ N(theta*, (H + diag(delta))^-1) around trained weights theta*, with H the generalized Gauss-Newton matrix of
/// the likelihood. Immutable; <see cref="Validate"/> checks every setting through <see cref="Check"/>.
/// </summary>
/// <param name="Subset">Which weights are random (<see cref="LaplaceSubset"/>); the last layer by default.</param>
/// <param name="Hessian">How H is stored (<see cref="HessianStructure"/>); Kronecker-factored by default.</param>
/// <param name="Predictive">GLM (linearised) or Monte Carlo over the weights (<see cref="LaplacePredictiveKind"/>).</param>
/// <param name="Link">For a classifier's GLM predictive: probit approximation or Monte Carlo over f (<see cref="GlmLink"/>).</param>
/// <param name="PriorPrecision">The initial (or fixed) prior precision delta of p(theta) = N(0, delta^-1 I), &gt; 0.</param>
/// <param name="PriorScope">One delta, or one per dense layer (<see cref="PriorPrecisionScope"/>).</param>
/// <param name="TunePrior">Maximise the Laplace log evidence over log delta after the fit (<see cref="LaplacePosterior.Tune"/>).</param>
/// <param name="TuneNoise">For a Gaussian likelihood: tune the noise sd sigma by the log evidence as well.</param>
/// <param name="Rank">k, the number of eigenpairs of <see cref="HessianStructure.LowRank"/>.</param>
/// <param name="BatchSize">Rows per pass over the training data when H is accumulated.</param>
/// <param name="Samples">T, the draws of a Monte Carlo predictive (over weights or over f).</param>
/// <param name="TuneSteps">Adam steps of the evidence maximisation.</param>
/// <param name="TuneLearningRate">Adam's step size on the log parameters.</param>
/// <param name="MemoryBudgetBytes">
/// The most bytes the Hessian may take (<see cref="LaplaceMemory"/>); null: half the memory the runtime reports available
/// (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes: physical memory or the container's limit). On a GPU set it to the device's memory.
/// </param>
/// <param name="Seed">Seeds the random projections of the low-rank eigendecomposition and the Monte Carlo predictives.</param>
public sealed record LaplaceOptions(
    LaplaceSubset Subset = LaplaceSubset.LastLayer,
    HessianStructure Hessian = HessianStructure.Kron,
    LaplacePredictiveKind Predictive = LaplacePredictiveKind.Glm,
    GlmLink Link = GlmLink.Probit,
    double PriorPrecision = 1.0,
    PriorPrecisionScope PriorScope = PriorPrecisionScope.Global,
    bool TunePrior = false,
    bool TuneNoise = false,
    int Rank = 20,
    int BatchSize = 128,
    int Samples = 100,
    int TuneSteps = 100,
    double TuneLearningRate = 0.1,
    long? MemoryBudgetBytes = null,
    long Seed = 0)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string who = nameof(LaplaceOptions);
        Defined(Subset, nameof(Subset));
        Defined(Hessian, nameof(Hessian));
        Defined(Predictive, nameof(Predictive));
        Defined(Link, nameof(Link));
        Defined(PriorScope, nameof(PriorScope));
        Check.Positive(PriorPrecision, who, nameof(PriorPrecision), "Pass the precision 1/tau^2 of the Gaussian prior, e.g. 1.");
        Check.Positive(Rank, who, nameof(Rank), "Keep a few eigenpairs, e.g. 20.");
        Check.Positive(BatchSize, who, nameof(BatchSize), "Pass the rows per pass, e.g. 128.");
        Check.Positive(Samples, who, nameof(Samples), "Draw e.g. 100 samples for a Monte Carlo predictive.");
        Check.Positive(TuneSteps, who, nameof(TuneSteps), "Take e.g. 100 steps, or set TunePrior = false.");
        Check.Positive(TuneLearningRate, who, nameof(TuneLearningRate), "Use e.g. 0.1 (a step on log delta).");
        if (MemoryBudgetBytes is long budget)
            Check.Positive(budget, who, nameof(MemoryBudgetBytes), "Pass a budget in bytes, or null for half the available memory.");
        Check.Argument(!(Hessian == HessianStructure.LowRank && PriorScope == PriorPrecisionScope.PerLayer), who, nameof(PriorScope),
            "PerLayer with the LowRank Hessian", "Global with LowRank (its closed form needs one delta)",
            "Use PriorScope = Global, or a Diagonal, Kron or Full Hessian.");
    }

    static void Defined<T>(T value, string name) where T : struct, Enum =>
        Check.Argument(Enum.IsDefined(value), nameof(LaplaceOptions), name, value.ToString(), $"a {typeof(T).Name} value",
            $"Use one of {string.Join(", ", Enum.GetNames<T>())}.");
}
