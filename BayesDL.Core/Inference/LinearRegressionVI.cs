using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Inference;

/// <summary>
/// Variational inference for <see cref="ConjugateLinearRegression"/>'s model with a full-rank Gaussian
/// family q(w) = N(m, L L^T), L lower triangular with a positive diagonal (exp of a free parameter).
/// It maximises ELBO(q) = E_q[log p(y | X, w)] - KL(q(w) || p(w)), where for this likelihood the
/// expectation is exact: E_q||y - X w||^2 = ||y - X m||^2 + tr(X L L^T X^T). Because the family
/// contains the true posterior, the optimum is that posterior and the ELBO there equals log p(y):
/// the textbook check that VI minimises KL(q || p(w | y)).
/// </summary>
public static class LinearRegressionVI
{
    /// <summary>Options for <see cref="Fit"/>.</summary>
    /// <param name="MaxIterations">L-BFGS iterations.</param>
    /// <param name="Tolerance">Stop when the gradient's largest entry falls below this.</param>
    public sealed record Options(int MaxIterations = 500, double Tolerance = 1e-12)
    {
        /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
        public void Validate()
        {
            const string component = nameof(LinearRegressionVI) + "." + nameof(Options);
            Validation.Check.Positive(MaxIterations, component, nameof(MaxIterations),
                "Allow L-BFGS a few hundred iterations (500 is the default).");
            Validation.Check.NonNegative(Tolerance, component, nameof(Tolerance),
                "Use a small gradient tolerance such as 1e-12, or 0 to run every iteration.");
        }
    }

    /// <summary>Result: the fitted q and its ELBO.</summary>
    public sealed record Result(GaussianPosterior Q, double Elbo, int Iterations);

    /// <summary>Fits q(w) for inputs X [N, D], targets y [N]; use float64 tensors for 1e-6 agreement.</summary>
    public static Result Fit(Tensor x, Tensor y, double noiseStd, double priorStd, Options? options = null)
    {
        ConjugateLinearRegression.CheckArguments(x, y, noiseStd, priorStd);
        options ??= new Options();
        options.Validate();
        long d = x.shape[1];
        using var mean = new Parameter(zeros(d, dtype: x.dtype, device: x.device));
        using var rawScale = new Parameter(zeros(d, d, dtype: x.dtype, device: x.device));
        var optimizer = optim.LBFGS(new[] { mean, rawScale }, lr: 1, max_iter: options.MaxIterations,
            tolerange_grad: options.Tolerance /* sic: TorchSharp spelling */, tolerance_change: 1e-15, history_size: 50);

        Tensor Loss()
        {
            optimizer.zero_grad();
            Tensor loss = -Elbo(x, y, noiseStd, priorStd, mean, Cholesky(rawScale));
            loss.backward();
            return loss;
        }
        optimizer.step(Loss);

        using (no_grad())
        {
            Tensor l = Cholesky(rawScale);
            double elbo = Elbo(x, y, noiseStd, priorStd, mean, l).item<double>();
            var q = new GaussianPosterior(mean.detach().clone(), l.matmul(l.T));
            return new Result(q, elbo, options.MaxIterations);
        }
    }

    /// <summary>
    /// The exact ELBO of q = N(m, L L^T): -N/2 log(2 pi sigma^2) - (||y - X m||^2 + ||X L||_F^2) / (2 sigma^2)
    /// - KL(N(m, L L^T) || N(0, tau^2 I)).
    /// </summary>
    public static Tensor Elbo(Tensor x, Tensor y, double noiseStd, double priorStd, Tensor mean, Tensor cholesky)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], d = x.shape[1];
        double s2 = noiseStd * noiseStd, t2 = priorStd * priorStd;
        Tensor residual = y - x.matmul(mean);
        Tensor expectedSq = residual.dot(residual) + x.matmul(cholesky).pow(2).sum();
        Tensor expectedLogLik = -0.5 * n * Math.Log(2 * Math.PI * s2) - expectedSq / (2 * s2);
        // KL(N(m, LL^T) || N(0, t2 I)) = 1/2 [tr(LL^T)/t2 + m^T m / t2 - d + d log t2 - 2 sum log diag L]
        Tensor kl = 0.5 * (cholesky.pow(2).sum() / t2 + mean.dot(mean) / t2 - d + d * Math.Log(t2)
                           - 2 * cholesky.diagonal().log().sum());
        return (expectedLogLik - kl).MoveToOuterDisposeScope();
    }

    static Tensor Cholesky(Tensor raw) => raw.tril(-1) + diag_embed(raw.diagonal().exp());
}
