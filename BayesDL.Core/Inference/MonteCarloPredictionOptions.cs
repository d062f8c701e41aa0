namespace BayesDL.Inference;

/// <summary>How <see cref="MonteCarloPredictor"/> runs its T stochastic forward passes.</summary>
/// <param name="Vectorized">
/// True: the batch is replicated T times along the batch dimension (inputs [T·n, ...]) so one forward pass
/// yields T predictions, each replica with its own dropout masks. False: a plain loop of T passes (for comparison).
/// </param>
/// <param name="MemoryBudgetMB">
/// Upper bound for the tensors of one replicated forward pass; the work is chunked to stay under it. The
/// default (8 MB) keeps a pass's activations near the CPU caches: T = 100 over 2,000 MNIST images through the
/// MC-dropout MLP 784-400-400-10 (1 thread, shared 2-core machine) took 1.8-2.0 s with 2 MB, 1.3-1.7 s with 8 MB,
/// 1.6-3.8 s with 32 MB and 3.5 s with 256 MB (mask draws and element-wise ops are memory-bound). It also bounds
/// the memory a prediction needs. On a GPU raise it to fill the device.
/// </param>
/// <param name="MaxRowsPerPass">Explicit cap on replicated rows per pass (overrides the memory estimate when set).</param>
public sealed record MonteCarloPredictionOptions(
    bool Vectorized = true, double MemoryBudgetMB = 8, long? MaxRowsPerPass = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string component = nameof(MonteCarloPredictionOptions);
        Validation.Check.Positive(MemoryBudgetMB, component, nameof(MemoryBudgetMB),
            "Use a few megabytes on a CPU (8 is the default); raise it on a GPU.");
        if (MaxRowsPerPass is long rows)
            Validation.Check.Positive(rows, component, nameof(MaxRowsPerPass),
                "Cap the replicated rows per pass at a positive count, or leave it null to follow the memory budget.");
    }
}
