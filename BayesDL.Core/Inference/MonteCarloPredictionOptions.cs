namespace BayesDL.Inference;

/// <summary>How <see cref="MonteCarloPredictor"/> runs its T stochastic forward passes.</summary>
/// <param name="Vectorized">
/// True: the batch is replicated T times along the batch dimension (inputs [T·n, ...]) so one forward pass
/// yields T predictions, each replica with its own dropout masks. False: a plain loop of T passes (for comparison).
/// </param>
/// <param name="MemoryBudgetMB">Upper bound for the tensors of one replicated forward pass; the work is chunked to stay under it.</param>
/// <param name="MaxRowsPerPass">Explicit cap on replicated rows per pass (overrides the memory estimate when set).</param>
public sealed record MonteCarloPredictionOptions(
    bool Vectorized = true, double MemoryBudgetMB = 256, long? MaxRowsPerPass = null);
