namespace BayesDL.Mcmc;

/// <summary>
/// Welford's running covariance of one chain's draws in one adaptation window (only its diagonal unless
/// <paramref name="dense"/>), shrunk while n is small. The diagonal as in Stan: M^-1 = n/(n + 5) var + 1e-3 * 5/(n + 5). The
/// dense matrix with the ridge relative to each variance, n/(n + 5) Sigma + 1e-3 * 5/(n + 5) diag(Sigma): Stan's absolute
/// 1e-3 * 5/(n + 5) I is 1e-5 after a 500-draw window, ten times the variances of sblrc-blr's coefficients (sd 0.001), and would
/// bury the correlations a dense metric is for; the relative ridge makes the dense estimate follow the parameters' units
/// (rescale a coordinate by c and its row and column of M^-1 scale by c). A coordinate that did not move in the window
/// (variance 0) gets the absolute ridge, which keeps M^-1 definite. The diagonal keeps Stan's rule, so that the default
/// sampler's draws compare with Stan's: with the relative ridge there too, sblrc-blr mixed faster (min bulk ESS per second
/// 116-158 against 86) but other seeds' rare events moved (docs/benchmarks.md, "Models held to posteriordb").
/// </summary>
internal sealed class WindowCovariance(int dimension, bool dense)
{
    double[] _mean = new double[dimension];
    double[] _m2 = new double[dense ? dimension * dimension : dimension];
    readonly double[] _delta = new double[dimension];
    int _n;

    internal void Add(double[] position)
    {
        _n++;
        for (int i = 0; i < dimension; i++)
        {
            _delta[i] = position[i] - _mean[i];
            _mean[i] += _delta[i] / _n;
        }
        if (!dense)
        {
            for (int i = 0; i < dimension; i++) _m2[i] += _delta[i] * (position[i] - _mean[i]);
            return;
        }
        // Sum of (x - old mean)(x - new mean)^T: Welford's update of the co-moment matrix.
        for (int i = 0; i < dimension; i++)
            for (int j = 0; j < dimension; j++) _m2[i * dimension + j] += _delta[i] * (position[j] - _mean[j]);
    }

    /// <summary>The regularised estimate as a metric (the identity before two draws).</summary>
    internal Metric Regularized()
    {
        double n = _n;
        if (n < 2) return Metric.Identity(dimension);
        double shrink = n / (n + 5), ridge = 1e-3 * 5 / (n + 5);
        if (!dense) return new DiagonalMetric(_m2.Select(m2 => shrink * (m2 / (n - 1)) + ridge).ToArray());
        double Ridged(double variance) => shrink * variance + ridge * (variance > 0 ? variance : 1.0);
        var covariance = new double[dimension * dimension];
        for (int i = 0; i < dimension; i++)
            for (int j = 0; j < dimension; j++)
            {
                // Symmetrised: the two triangles of the co-moment matrix accumulate in different orders.
                double c = 0.5 * (_m2[i * dimension + j] + _m2[j * dimension + i]) / (n - 1);
                covariance[i * dimension + j] = i == j ? Ridged(c) : shrink * c;
            }
        return new DenseMetric(covariance, dimension);
    }

    internal void Reset()
    {
        _mean = new double[dimension];
        _m2 = new double[_m2.Length];
        _n = 0;
    }
}
