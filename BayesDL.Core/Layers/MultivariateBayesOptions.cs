using BayesDL.Validation;

namespace BayesDL.Layers;

/// <summary>
/// Settings of a <see cref="MultivariateBayesLinear"/> layer, whose posterior over its d = out (in + 1) parameters
/// theta = vec(W, b) is one Gaussian q(theta) = N(mu, Sigma) with
/// Sigma = U U^T + diag(sigma^2) (U: [d, Rank], low rank plus diagonal) when <see cref="Rank"/> &gt;= 1, or
/// Sigma = L L^T (L lower-triangular with a positive diagonal, a full Cholesky factor) when Rank is 0.
/// </summary>
/// <param name="Rank">k &gt;= 1: the rank of U (low rank plus diagonal); 0: full covariance
/// (at most <see cref="MaxFullRankParameters"/> parameters).</param>
/// <param name="Prior">Element-wise weight prior; null means N(0, 1). A Normal prior gives the analytic KL, others
/// a Monte Carlo KL.</param>
/// <param name="InitialRho">Initial rho of the diagonal scales, sigma = softplus(rho): -5 gives sigma ≈ 0.0067
/// (training starts near a deterministic net).</param>
/// <param name="InitialFactorStd">Standard deviation of the random initial entries of U (low rank); small and non-zero so
/// U gets a gradient.</param>
/// <param name="KLSamples">Monte Carlo draws of the KL when the (posterior, prior) pair has no closed form (&gt;= 2).</param>
public sealed record MultivariateBayesOptions(int Rank = 0, PriorSpec? Prior = null, double InitialRho = -5.0,
    double InitialFactorStd = 1e-3, int KLSamples = 2)
{
    /// <summary>
    /// The largest parameter count d a full-rank layer accepts: L holds d^2 entries (2048 parameters: 4.2 million
    /// entries, 17 MB in float32, and as much again for the gradient and each Adam moment).
    /// </summary>
    public const long MaxFullRankParameters = 2048;

    /// <summary>The prior in use: <see cref="Prior"/> or N(0, 1).</summary>
    public PriorSpec EffectivePrior => Prior ?? PriorSpec.Normal();

    internal void Validate(string layer, long parameters)
    {
        string component = $"{nameof(MultivariateBayesOptions)} of {layer}";
        Check.Argument(Rank >= 0, component, nameof(Rank), Rank.ToString(), ">= 0 (0: full covariance, k >= 1: low rank k plus diagonal)",
            "Use 0 for a full covariance or a small rank such as 5.");
        Check.Argument(Rank > 0 || parameters <= MaxFullRankParameters, component, "parameters",
            $"{parameters} parameters (a {parameters} x {parameters} Cholesky factor)",
            $"at most {MaxFullRankParameters} for a full-rank posterior", "Use a low-rank posterior (Rank >= 1) for a layer this large.");
        Check.Argument(Rank <= parameters, component, nameof(Rank), Rank.ToString(), $"at most the parameter count {parameters}",
            "Use a rank well below the layer's parameter count, or 0 for a full covariance.");
        Check.Argument(double.IsFinite(InitialRho) && InitialRho < 20, component, nameof(InitialRho),
            InitialRho.ToString("R"), "finite and < 20", "Use -5 (the default) to start near a deterministic net.");
        Check.Argument(double.IsFinite(InitialFactorStd) && InitialFactorStd >= 0, component, nameof(InitialFactorStd),
            InitialFactorStd.ToString("R"), ">= 0 and finite", "Use a small positive value such as 1e-3 so the factor gets a gradient.");
        Check.Argument(KLSamples >= 2, component, nameof(KLSamples), KLSamples.ToString(), ">= 2 (a Monte Carlo KL needs two draws)",
            "Use 2 or more draws (more lower the KL estimate's variance).");
    }
}
