using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// A dense inverse mass matrix M^-1 (D x D, symmetric positive definite): the estimated posterior covariance, so that a
/// posterior whose coordinates are linearly correlated looks isotropic to the sampler. With M^-1 = L L^T (Cholesky), momenta
/// p = L^-T z for z ~ N(0, I) have covariance L^-T L^-1 = M. Each leapfrog step and U-turn check costs a D x D product.
/// </summary>
internal sealed class DenseMetric : Metric
{
    readonly int _dimension;
    readonly double[] _inverseMass;   // M^-1, row-major
    readonly double[] _momentumScale; // L^-T, row-major (upper triangular)

    /// <summary><paramref name="inverseMass"/>: M^-1, <paramref name="dimension"/> x <paramref name="dimension"/> row-major.</summary>
    internal DenseMetric(double[] inverseMass, int dimension)
    {
        _dimension = dimension;
        _inverseMass = inverseMass;
        using var scope = NewDisposeScope();
        Tensor a = tensor(inverseMass, [dimension, dimension], ScalarType.Float64);
        Tensor l = linalg.cholesky(a);
        Tensor lInverse = linalg.solve_triangular(l, eye(dimension, dtype: ScalarType.Float64), upper: false);
        _momentumScale = lInverse.T.contiguous().data<double>().ToArray();
    }

    /// <inheritdoc/>
    internal override double Inner(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < _dimension; i++) sum += a[i] * RowTimes(i, b);
        return sum;
    }

    /// <inheritdoc/>
    internal override void Drift(double[] q, double[] p, double eps, double[] into)
    {
        for (int i = 0; i < _dimension; i++) into[i] = q[i] + eps * RowTimes(i, p);
    }

    /// <summary>(M^-1 v)_i.</summary>
    double RowTimes(int i, double[] v)
    {
        double sum = 0;
        for (int j = 0; j < _dimension; j++) sum += _inverseMass[i * _dimension + j] * v[j];
        return sum;
    }

    /// <inheritdoc/>
    internal override void ScaleMomentum(double[] z)
    {
        // L^-T is upper triangular: row i reads z[i..], so overwriting z[i] in increasing i is safe.
        for (int i = 0; i < _dimension; i++)
        {
            double p = 0;
            for (int j = i; j < _dimension; j++) p += _momentumScale[i * _dimension + j] * z[j];
            z[i] = p;
        }
    }

    /// <inheritdoc/>
    internal override double[] InverseMassDiagonal =>
        Enumerable.Range(0, _dimension).Select(i => _inverseMass[i * _dimension + i]).ToArray();
}
