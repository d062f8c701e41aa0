using static TorchSharp.torch;

namespace BayesDL.Calibration;

/// <summary>
/// The generative model simulation-based calibration draws from (Talts et al. 2018): theta ~ p(theta) by
/// <paramref name="Prior"/> (a vector [D], using the engine's global generator, which <see cref="Sbc.Run"/> seeds per
/// replication) and y ~ p(y | theta) by <paramref name="Simulate"/> (a tensor of shape <paramref name="DataShape"/>).
/// The inference method under test is meant to approximate p(theta | y) of exactly this model.
/// </summary>
/// <param name="Name">A label for messages and reports.</param>
/// <param name="ParameterNames">One name per coordinate of theta; D = their count.</param>
/// <param name="DataShape">The shape every simulated data set must have.</param>
/// <param name="Prior">Draws theta [D] from the prior.</param>
/// <param name="Simulate">Draws a data set y given theta [D].</param>
public sealed record SbcModel(string Name, IReadOnlyList<string> ParameterNames, long[] DataShape, Func<Tensor> Prior,
                              Func<Tensor, Tensor> Simulate)
{
    /// <summary>D, the number of parameters.</summary>
    public int Dimension => ParameterNames.Count;

    /// <summary>
    /// Bayesian linear regression with known noise on fixed inputs <paramref name="x"/> [N, D]: w ~ N(0, tau^2 I),
    /// y = X w + e, e ~ N(0, sigma^2 I), the model of <see cref="Inference.ConjugateLinearRegression"/> and
    /// <see cref="Mcmc.LogDensity.BayesianLinearRegression"/>. Parameters are named w[1]..w[D]; data y is [N].
    /// </summary>
    public static SbcModel BayesianLinearRegression(Tensor x, double noiseStd, double priorStd)
    {
        const string who = nameof(SbcModel) + "." + nameof(BayesianLinearRegression);
        Validation.Check.Argument(x.dim() == 2, who, nameof(x), $"shape {Validation.Check.Shape(x.shape)}", "a matrix [N, D]");
        Validation.Check.Positive(noiseStd, who, nameof(noiseStd));
        Validation.Check.Positive(priorStd, who, nameof(priorStd));
        long n = x.shape[0], d = x.shape[1];
        Tensor inputs = x.detach().clone().DetachFromDisposeScope(); // lives as long as the model
        return new SbcModel("Bayesian linear regression", Enumerable.Range(1, (int)d).Select(i => $"w[{i}]").ToArray(), [n],
            () => priorStd * randn(d, dtype: inputs.dtype, device: inputs.device),
            w => inputs.matmul(w) + noiseStd * randn(n, dtype: inputs.dtype, device: inputs.device));
    }
}
