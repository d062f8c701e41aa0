namespace BayesDL.Mcmc;

/// <summary>
/// The Euclidean metric of HMC: the kinetic energy K(p) = p^T M^-1 p / 2 with momenta p ~ N(0, M). Warm-up estimates the
/// inverse mass matrix M^-1 as the posterior covariance (<see cref="WindowCovariance"/>), so that the sampler sees the
/// posterior at unit scale: the diagonal (Stan's <c>diag_e</c>, the default) rescales each coordinate; the dense matrix
/// (Stan's <c>dense_e</c>, NumPyro's <c>dense_mass</c>) also removes linear correlations between coordinates (Betancourt 2017,
/// "A conceptual introduction to HMC", sec. 4.2).
/// </summary>
internal abstract class Metric
{
    /// <summary>The unit metric M = I of dimension <paramref name="dimension"/>, the start of warm-up.</summary>
    internal static Metric Identity(int dimension) => new DiagonalMetric(Enumerable.Repeat(1.0, dimension).ToArray());

    /// <summary>a^T M^-1 b: twice the kinetic energy for a = b = p, and the U-turn criterion's p#^T rho.</summary>
    internal abstract double Inner(double[] a, double[] b);

    /// <summary>The leapfrog drift: <paramref name="into"/> = q + eps M^-1 p.</summary>
    internal abstract void Drift(double[] q, double[] p, double eps, double[] into);

    /// <summary>p = M^(1/2) z for standard normal z, overwriting <paramref name="z"/>: a momentum drawn from N(0, M).</summary>
    internal abstract void ScaleMomentum(double[] z);

    /// <summary>The diagonal of M^-1 (the estimated posterior variances), as <see cref="McmcResult.InverseMassMatrix"/> reports
    /// it.</summary>
    internal abstract double[] InverseMassDiagonal { get; }
}
