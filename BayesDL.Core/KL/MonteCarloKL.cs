using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// A Monte Carlo estimate of KL(p || q) = E_p[log p(x) - log q(x)] from <paramref name="Samples"/> draws of p:
/// the sample mean of the log-ratios and its standard error s / sqrt(n) (s the sample standard deviation), both of
/// shape BatchShape. By the central limit theorem the true KL lies within 5 standard errors of the estimate
/// with overwhelming probability.
/// </summary>
/// <param name="Estimate">The mean of log p(x_i) - log q(x_i) over the draws.</param>
/// <param name="StandardError">The estimated standard deviation of <paramref name="Estimate"/>.</param>
/// <param name="Samples">The number of draws n.</param>
public sealed record MonteCarloKL(Tensor Estimate, Tensor StandardError, int Samples);
