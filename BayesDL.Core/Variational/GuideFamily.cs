namespace BayesDL.Variational;

/// <summary>
/// The Gaussian families of <see cref="Advi"/> on a model's unconstrained space (Kucukelbir et al. 2017, sec. 2.5):
/// q(x) = N(mu, Sigma) with Sigma diagonal (<see cref="MeanField"/>), diagonal plus rank r (<see cref="LowRank"/>,
/// Sigma = F F^T + D^2, F [P, r]) or dense (<see cref="FullRank"/>, Sigma = L L^T, L lower triangular).
/// </summary>
public enum GuideFamily
{
    /// <summary>Independent coordinates: P means and P scales. Cannot represent correlations; underestimates marginal variances.</summary>
    MeanField,

    /// <summary>Sigma = F F^T + D^2 with F of rank r: correlations along r directions at O(P r) cost.</summary>
    LowRank,

    /// <summary>Sigma = L L^T with a dense lower-triangular L: any Gaussian, P (P + 3) / 2 parameters.</summary>
    FullRank,
}
