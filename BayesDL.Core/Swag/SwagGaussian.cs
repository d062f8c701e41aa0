using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Swag;

/// <summary>
/// The SWAG posterior over a flat weight vector theta [D] (Maddox, Garipov, Izmailov, Vetrov &amp; Wilson 2019, "A Simple Baseline
/// for Bayesian Uncertainty in Deep Learning"): N(θ_SWA, ½ (Σ_diag + D̂ D̂ᵀ / (K − 1))) with θ_SWA = (1/n) Σ_i θ_i the average of the n
/// snapshots, Σ_diag = diag((1/n) Σ_i θ_i² − θ_SWA²) and D̂ the D × K matrix of the last K deviations θ_i − θ̄_i from the running
/// average (the paper's Algorithm 1). Sampling uses the paper's scale (its eq. 1):
/// θ̃ = θ_SWA + (1/√2) Σ_diag^{1/2} z_1 + (1/√(2(K − 1))) D̂ z_2, z_1 ~ N(0, I_D), z_2 ~ N(0, I_K).
/// Owns its tensors (float64, on the device the snapshots came from).
/// </summary>
public sealed class SwagGaussian : IDisposable
{
    internal SwagGaussian(Tensor mean, Tensor variance, Tensor deviations, int snapshots)
    {
        Mean = mean;
        Variance = variance;
        Deviations = deviations;
        Snapshots = snapshots;
    }

    /// <summary>θ_SWA [D], the average of the snapshots.</summary>
    public Tensor Mean { get; }

    /// <summary>The diagonal of Σ_diag [D]: the snapshots' variance per weight (clamped at 0 against round-off).</summary>
    public Tensor Variance { get; }

    /// <summary>D̂ᵀ [K, D]: the last K deviations θ_i − θ̄_i, one per row, oldest first.</summary>
    public Tensor Deviations { get; }

    /// <summary>K, the rank of the low-rank part.</summary>
    public int Rank => (int)Deviations.shape[0];

    /// <summary>n, the snapshots averaged.</summary>
    public int Snapshots { get; }

    /// <summary>D, the number of weights.</summary>
    public long Dimension => Mean.shape[0];

    /// <summary>
    /// <paramref name="count"/> draws θ̃ [count, D] with the paper's scale (see the class summary); z_1 and z_2 come from a CPU
    /// generator seeded with <paramref name="seed"/>, so the same seed gives the same draws.
    /// </summary>
    public Tensor Sample(int count, long seed = 0)
    {
        Check.Positive(count, nameof(SwagGaussian), nameof(count), "Ask for at least one draw, e.g. 30.");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed, CPU);
        int k = Rank;
        Tensor z1 = randn([count, Dimension], dtype: ScalarType.Float64, generator: generator).to(Mean.device);
        Tensor z2 = randn([count, k], dtype: ScalarType.Float64, generator: generator).to(Mean.device);
        Tensor draws = Mean.unsqueeze(0) + Variance.sqrt().unsqueeze(0) * z1 / Math.Sqrt(2)
                       + z2.matmul(Deviations) / Math.Sqrt(2.0 * (k - 1));
        return draws.MoveToOuterDisposeScope();
    }

    /// <summary>The covariance ½ (Σ_diag + D̂ D̂ᵀ / (K − 1)) [D, D] the draws have; for small networks and tests (D² numbers).</summary>
    public Tensor Covariance()
    {
        using var scope = NewDisposeScope();
        Tensor lowRank = Deviations.T.matmul(Deviations) / (Rank - 1);
        return ((diag(Variance) + lowRank) / 2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Mean.Dispose();
        Variance.Dispose();
        Deviations.Dispose();
    }
}
