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
    /// <summary>
    /// Two full-covariance normals, without the cancellation of tr - k against the log-determinants: with
    /// M = L_q^-1 L_p (lower triangular, diagonal d_i = (L_p)_ii / (L_q)_ii),
    /// tr(Sigma_q^-1 Sigma_p) - k - log det(Sigma_q^-1 Sigma_p) = sum_i (d_i^2 - 1 - 2 log d_i) + sum_{i&gt;j} M_ij^2,
    /// a sum of non-negative terms: the diagonal ones by <see cref="KLNumerics.ScaleGap"/> (from (L_p)_ii - (L_q)_ii),
    /// the off-diagonal ones from E = L_q^-1 (L_p - L_q) = M - I, which is small, with small error, when p is close to q.
    /// </summary>
    internal static Tensor FullFull(MultivariateNormal p, MultivariateNormal q)
    {
        using var scope = NewDisposeScope();
        Tensor lp = p.ScaleTril, lq = q.ScaleTril;
        Tensor e = linalg.solve_triangular(lq, lp - lq, upper: false);
        Tensor diagonal = 2 * KLNumerics.ScaleGap(lp.diagonal(0, -2, -1), lq.diagonal(0, -2, -1)).sum(-1);
        Tensor offDiagonal = e.tril(-1).square().sum(new long[] { -2, -1 });
        Tensor kl = 0.5 * (diagonal + offDiagonal + q.Mahalanobis(q.Loc - p.Loc));
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Two low-rank-plus-diagonal normals, with the trace and the log-determinants taken from the differences of the
    /// parameters so that KL(p || p) is exactly 0 (the Woodbury trace tr(Sigma_q^-1 Sigma_p) of the general form is k only up
    /// to round-off of order k eps cond(Sigma), about 1e-10 at cond 1e5): with W_p, W_q padded with zero columns to one rank,
    /// tr(Sigma_q^-1 Sigma_p) - k = tr(Sigma_q^-1 (Sigma_p - Sigma_q)) = tr(E^T Sigma_q^-1 F) + tr(Sigma_q^-1 diag(D_p - D_q)),
    /// E = W_p - W_q, F = W_p + W_q (W_p W_p^T - W_q W_q^T = (E F^T + F E^T)/2), and
    /// log det Sigma_q - log det Sigma_p = 2 sum_i log1p((L_q - L_p)_ii / (L_p)_ii) + sum_i log1p((D_q - D_p)_i / (D_p)_i)
    /// (the determinant lemma's factors). Every term vanishes with the differences; near p = q the first-order parts of the
    /// trace and the log-determinant still cancel, so the result is clamped at 0 as in <see cref="Gaussian"/>.
    /// </summary>
    internal static Tensor LowRankLowRank(LowRankMultivariateNormal p, LowRankMultivariateNormal q)
    {
        using var scope = NewDisposeScope();
        long rp = p.CovFactor.shape[^1], rq = q.CovFactor.shape[^1], r = Math.Max(rp, rq);
        Tensor wp = rp == r ? p.CovFactor : nn.functional.pad(p.CovFactor, new long[] { 0, r - rp });
        Tensor wq = rq == r ? q.CovFactor : nn.functional.pad(q.CovFactor, new long[] { 0, r - rq });
        Tensor trace = q.TraceInverseProduct(wp - wq, wp + wq) + ((IGaussianCovariance)q).TraceInverseDiagonal(p.CovDiag - q.CovDiag);
        Tensor lp = p.CapacitanceTril.diagonal(0, -2, -1), lq = q.CapacitanceTril.diagonal(0, -2, -1);
        Tensor logDet = rp == rq
            ? 2 * ((lq - lp) / lp).log1p().sum(-1)
            : 2 * (lq.log().sum(-1) - lp.log().sum(-1));
        logDet = logDet + ((q.CovDiag - p.CovDiag) / p.CovDiag).log1p().sum(-1);
        Tensor kl = 0.5 * (trace + ((IGaussianCovariance)q).Mahalanobis(q.Loc - p.Loc) + logDet);
        return kl.clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Any pair involving a low-rank-plus-diagonal normal, by the formula above with Woodbury and determinant-lemma terms
    /// (O(k r^2), no k x k matrix). Its terms are not individually non-negative, so round-off near p = q can leave a
    /// negative result of the size of float64 round-off on the log-determinants; since KL between normals is provably
    /// non-negative, the result is clamped at 0 (which only removes that round-off).
    /// </summary>
    internal static Tensor Gaussian(Distribution pd, Distribution qd)
    {
        var p = (IGaussianCovariance)pd;
        var q = (IGaussianCovariance)qd;
        using var scope = NewDisposeScope();
        long k = pd.EventShape[0];
        Tensor trace = q.TraceInverseDense(p.DenseFactor);
        if (p.DiagonalPart is { } d) trace = trace + q.TraceInverseDiagonal(d);
        Tensor kl = 0.5 * (trace + q.Mahalanobis(q.Loc - p.Loc) - k + q.LogDetCovariance() - p.LogDetCovariance());
        return kl.clamp_min(0).MoveToOuterDisposeScope();
    }
}
