namespace BayesDL.Mcmc;

/// <summary>
/// Nesterov dual averaging of the log step size, one per chain (Hoffman &amp; Gelman 2014, eq. 6 and Alg. 5):
/// H_t = (1 - 1/(t + t0)) H_{t-1} + (delta - alpha_t) / (t + t0), log eps_t = mu - sqrt(t) H_t / gamma,
/// log eps_bar_t = t^-kappa log eps_t + (1 - t^-kappa) log eps_bar_{t-1}, with mu = log(10 eps_0), gamma = 0.05,
/// t0 = 10, kappa = 0.75. It drives the mean acceptance probability alpha to the target delta; eps_bar is used after warm-up.
/// </summary>
internal sealed class DualAveraging
{
    const double Gamma = 0.05, T0 = 10, Kappa = 0.75;
    readonly double _delta;
    double[] _mu = [], _h = [], _logEps = [], _logEpsBar = [];
    int _t;

    internal DualAveraging(double[] initialStepSizes, double targetAcceptance)
    {
        _delta = targetAcceptance;
        Restart(initialStepSizes);
    }

    /// <summary>Starts over around new step sizes (after each mass-matrix update, as Stan does).</summary>
    internal void Restart(double[] stepSizes)
    {
        _mu = stepSizes.Select(e => Math.Log(10 * e)).ToArray();
        _logEps = stepSizes.Select(e => Math.Log(e)).ToArray();
        _h = new double[stepSizes.Length];
        _logEpsBar = new double[stepSizes.Length];
        _t = 0;
    }

    /// <summary>One update with each chain's acceptance probability; returns the step sizes for the next iteration.</summary>
    internal double[] Update(double[] acceptance)
    {
        _t++;
        double eta = 1 / (_t + T0), weight = Math.Pow(_t, -Kappa);
        for (int c = 0; c < _h.Length; c++)
        {
            _h[c] = (1 - eta) * _h[c] + eta * (_delta - acceptance[c]);
            _logEps[c] = _mu[c] - Math.Sqrt(_t) / Gamma * _h[c];
            _logEpsBar[c] = weight * _logEps[c] + (1 - weight) * _logEpsBar[c];
        }
        return _logEps.Select(Math.Exp).ToArray();
    }

    /// <summary>The averaged step sizes exp(log eps_bar) to sample with (the current ones if no update happened yet).</summary>
    internal double[] Final() => (_t == 0 ? _logEps : _logEpsBar).Select(Math.Exp).ToArray();
}
