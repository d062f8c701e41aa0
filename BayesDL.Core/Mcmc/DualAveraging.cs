namespace BayesDL.Mcmc;

/// <summary>
/// Nesterov dual averaging of one chain's log step size (Hoffman &amp; Gelman 2014, eq. 6 and Alg. 5):
/// H_t = (1 - 1/(t + t0)) H_{t-1} + (delta - alpha_t) / (t + t0), log eps_t = mu - sqrt(t) H_t / gamma,
/// log eps_bar_t = t^-kappa log eps_t + (1 - t^-kappa) log eps_bar_{t-1}, with mu = log(10 eps_0), gamma = 0.05,
/// t0 = 10, kappa = 0.75. It drives the mean acceptance probability alpha to the target delta; eps_bar is used after warm-up.
/// </summary>
internal sealed class DualAveraging
{
    const double Gamma = 0.05, T0 = 10, Kappa = 0.75;
    readonly double _delta;
    double _mu, _h, _logEps, _logEpsBar;
    int _t;

    internal DualAveraging(double initialStepSize, double targetAcceptance)
    {
        _delta = targetAcceptance;
        Restart(initialStepSize);
    }

    /// <summary>Starts over around a new step size (after each mass-matrix update, as Stan does).</summary>
    internal void Restart(double stepSize)
    {
        _mu = Math.Log(10 * stepSize);
        _logEps = Math.Log(stepSize);
        _h = _logEpsBar = 0;
        _t = 0;
    }

    /// <summary>One update with the iteration's acceptance statistic; returns the step size for the next iteration.</summary>
    internal double Update(double acceptance)
    {
        _t++;
        double eta = 1 / (_t + T0), weight = Math.Pow(_t, -Kappa);
        _h = (1 - eta) * _h + eta * (_delta - acceptance);
        _logEps = _mu - Math.Sqrt(_t) / Gamma * _h;
        _logEpsBar = weight * _logEps + (1 - weight) * _logEpsBar;
        return Math.Exp(_logEps);
    }

    /// <summary>The averaged step size exp(log eps_bar) to sample with (the current one if no update happened yet).</summary>
    internal double Final() => Math.Exp(_t == 0 ? _logEps : _logEpsBar);
}
