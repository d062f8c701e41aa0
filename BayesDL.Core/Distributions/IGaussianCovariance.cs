using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The linear algebra the Gaussian KL needs from a multivariate normal's covariance Sigma (full or low-rank plus diagonal),
/// so that KL(p || q) = 1/2 [ tr(Sigma_q^-1 Sigma_p) + (mu_q - mu_p)^T Sigma_q^-1 (mu_q - mu_p) - k + log det Sigma_q - log det Sigma_p ]
/// is one formula for every combination without forming k x k inverses. Sigma_p is presented as
/// <see cref="DenseFactor"/> S S^T plus diag(<see cref="DiagonalPart"/>), so tr(Sigma_q^-1 Sigma_p) =
/// <see cref="TraceInverseDense"/>(S) + <see cref="TraceInverseDiagonal"/>(d).
/// </summary>
internal interface IGaussianCovariance
{
    /// <summary>The mean, shape <c>BatchShape ++ [k]</c>.</summary>
    Tensor Loc { get; }

    /// <summary>log det Sigma, shape of the parameters' batch.</summary>
    Tensor LogDetCovariance();

    /// <summary>x^T Sigma^-1 x for x of shape <c>... ++ [k]</c>.</summary>
    Tensor Mahalanobis(Tensor x);

    /// <summary>S with Sigma = S S^T + diag(d): [.., k, m].</summary>
    Tensor DenseFactor { get; }

    /// <summary>d with Sigma = S S^T + diag(d), or null when there is no diagonal part.</summary>
    Tensor? DiagonalPart { get; }

    /// <summary>tr(Sigma^-1 S S^T) = ||Sigma^-1/2 S||_F^2.</summary>
    Tensor TraceInverseDense(Tensor s);

    /// <summary>tr(Sigma^-1 diag(d)).</summary>
    Tensor TraceInverseDiagonal(Tensor d);
}
