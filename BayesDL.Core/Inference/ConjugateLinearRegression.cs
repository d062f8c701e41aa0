using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Inference;

/// <summary>
/// Bayesian linear regression with a known noise level: y = X w + e, e ~ N(0, sigma^2 I), prior
/// w ~ N(0, tau^2 I). Bayes' rule gives the posterior in closed form (Bishop 2006, eq. 3.53-3.54):
/// Sigma_N = (I / tau^2 + X^T X / sigma^2)^-1, m_N = Sigma_N X^T y / sigma^2, and the evidence
/// log p(y) = log N(y; 0, sigma^2 I + tau^2 X X^T). The reference every approximate method is checked against.
/// </summary>
public static class ConjugateLinearRegression
{
    /// <summary>The exact posterior over w for inputs X [N, D] and targets y [N].</summary>
    public static GaussianPosterior Posterior(Tensor x, Tensor y, double noiseStd, double priorStd)
    {
        CheckArguments(x, y, noiseStd, priorStd);
        using var scope = NewDisposeScope();
        long d = x.shape[1];
        Tensor precision = x.T.matmul(x).div(noiseStd * noiseStd) + eye(d, dtype: x.dtype, device: x.device).div(priorStd * priorStd);
        Tensor covariance = linalg.inv(precision);
        covariance = (covariance + covariance.T) / 2; // symmetric to the last bit
        Tensor mean = covariance.matmul(x.T.matmul(y)).div(noiseStd * noiseStd);
        return new GaussianPosterior(mean.MoveToOuterDisposeScope(), covariance.MoveToOuterDisposeScope());
    }

    /// <summary>The log evidence log p(y | X) = log N(y; 0, sigma^2 I + tau^2 X X^T).</summary>
    public static double LogEvidence(Tensor x, Tensor y, double noiseStd, double priorStd)
    {
        CheckArguments(x, y, noiseStd, priorStd);
        using var scope = NewDisposeScope();
        long n = x.shape[0];
        Tensor cov = x.matmul(x.T).mul(priorStd * priorStd) + eye(n, dtype: x.dtype, device: x.device).mul(noiseStd * noiseStd);
        Tensor chol = linalg.cholesky(cov);
        Tensor alpha = linalg.solve_triangular(chol, y.unsqueeze(1), upper: false).squeeze(1);
        double logDet = 2 * chol.diagonal().log().sum().item<double>();
        return -0.5 * (alpha.dot(alpha).item<double>() + logDet + n * Math.Log(2 * Math.PI));
    }

    internal static void CheckArguments(Tensor x, Tensor y, double noiseStd, double priorStd)
    {
        const string who = nameof(ConjugateLinearRegression);
        Validation.Check.Argument(x.dim() == 2, who, "x", $"shape {Check.Shape(x.shape)}", "a matrix [N, D]");
        Validation.Check.Argument(y.dim() == 1 && y.shape[0] == x.shape[0], who, "y", $"shape {Check.Shape(y.shape)}",
            $"a vector [N] with N = {x.shape[0]} rows of x");
        Validation.Check.Positive(noiseStd, who, nameof(noiseStd));
        Validation.Check.Positive(priorStd, who, nameof(priorStd));
    }
}
