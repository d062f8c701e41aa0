using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// KL between multivariate normals (full-covariance and low-rank-plus-diagonal, in any combination):
/// KL(p || q) = 1/2 [ tr(Sigma_q^-1 Sigma_p) + (mu_q - mu_p)^T Sigma_q^-1 (mu_q - mu_p) - k + log det Sigma_q - log det Sigma_p ],
/// with every term by triangular solves against q's Cholesky (or capacitance) factor; see <see cref="IGaussianCovariance"/>.
/// </summary>
internal static class GaussianKL
{
    internal static Tensor Gaussian(Distribution pd, Distribution qd)
    {
        var p = (IGaussianCovariance)pd;
        var q = (IGaussianCovariance)qd;
        using var scope = NewDisposeScope();
        long k = pd.EventShape[0];
        Tensor trace = q.TraceInverseDense(p.DenseFactor);
        if (p.DiagonalPart is { } d) trace = trace + q.TraceInverseDiagonal(d);
        Tensor kl = 0.5 * (trace + q.Mahalanobis(q.Loc - p.Loc) - k + q.LogDetCovariance() - p.LogDetCovariance());
        return kl.MoveToOuterDisposeScope();
    }
}
