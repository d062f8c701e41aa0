namespace BayesDL.Mcmc;

/// <summary>
/// Welford's running variance of one chain's draws in one adaptation window, regularised as in Stan:
/// M^-1 = n/(n + 5) var + 1e-3 * 5/(n + 5), shrinking towards a small multiple of the identity when n is small.
/// </summary>
internal sealed class WindowVariance(int dimension)
{
    double[] _mean = new double[dimension], _m2 = new double[dimension];
    int _n;

    internal void Add(double[] position)
    {
        _n++;
        for (int i = 0; i < position.Length; i++)
        {
            double delta = position[i] - _mean[i];
            _mean[i] += delta / _n;
            _m2[i] += delta * (position[i] - _mean[i]);
        }
    }

    internal double[] Regularized()
    {
        double n = _n;
        return _m2.Select(m2 => n < 2 ? 1.0 : n / (n + 5) * (m2 / (n - 1)) + 1e-3 * 5 / (n + 5)).ToArray();
    }

    internal void Reset()
    {
        _mean = new double[dimension];
        _m2 = new double[dimension];
        _n = 0;
    }
}
