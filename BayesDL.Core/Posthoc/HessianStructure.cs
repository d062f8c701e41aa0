namespace BayesDL.Posthoc;

/// <summary>
/// How a <see cref="LaplacePosterior"/> approximates the generalized Gauss-Newton matrix H = sum_n J_n^T Lambda_n J_n of the
/// subset's weights (Daxberger et al. 2021, sec. 3.2). Memory for D weights: Diagonal D, Kron sum over layers of out^2 + (in + 1)^2,
/// LowRank D (k + 10), Full D^2 (<see cref="LaplaceMemory"/>).
/// </summary>
public enum HessianStructure
{
    /// <summary>The diagonal of H: weights independent a posteriori.</summary>
    Diagonal,

    /// <summary>
    /// Kronecker-factored per dense layer (KFAC; Martens &amp; Grosse 2015, Ritter et al. 2018):
    /// H_l ≈ (1/N sum_n G_n) ⊗ (sum_n a_n a_n^T)
    /// with a_n the layer's input (and 1 for the bias) and G_n = g_n^T Lambda_n g_n from the output's gradient g_n at the layer's
    /// pre-activation; layers independent. Exact when G_n is the same for every example (a linear model with a Gaussian likelihood).
    /// </summary>
    Kron,

    /// <summary>The full D x D matrix: exact GGN, for the last layer or small networks.</summary>
    Full,

    /// <summary>
    /// The top k eigenpairs of H (randomized eigendecomposition, Halko et al. 2011) plus the prior: precision U diag(lambda) U^T + delta I
    /// (needs one prior precision for the whole subset).
    /// </summary>
    LowRank,
}
