using BayesDL.Data;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Metrics;

/// <summary>
/// The scores of the regression benchmark table (Hernández-Lobato &amp; Adams 2015; Gal &amp; Ghahramani 2016) for a
/// T-sample predictive with means mu_t and noise variances s2_t [T, N, D] (noise included: the full predictive is the
/// Gaussian mixture p(y | x) = (1/T) sum_t N(y; mu_t, diag s2_t)), on the original scale of the targets:
/// RMSE = sqrt((1/(N D)) sum_i ||y_i - mu̅_i||^2) of the predictive mean mu̅ = (1/T) sum_t mu_t, and the average test
/// log-likelihood (1/N) sum_i log p(y_i | x_i) = (1/N) sum_i [logsumexp_t log N(y_i; mu_ti, s2_ti) - log T], computed in
/// float64 with logsumexp so that points far in the tails stay finite.
/// (Classification predictives are scored by <see cref="PredictiveScores"/>.)
/// </summary>
/// <param name="RootMeanSquaredError">RMSE of the predictive mean, in the target's units.</param>
/// <param name="TestLogLikelihood">Mean log predictive density of the targets (nats; higher is better).</param>
/// <param name="Count">N, the number of test points.</param>
/// <param name="Samples">T, the number of mixture components (posterior draws or ensemble members).</param>
public sealed record RegressionScores(double RootMeanSquaredError, double TestLogLikelihood, long Count, long Samples)
{
    /// <summary>
    /// Scores a predictive of a split's standardised test inputs: means and variances are mapped back to the original
    /// scale (mu = mean_y + sd_y mu', s2 = sd_y^2 s2', <see cref="Standardization"/>) and compared with the original test
    /// targets, so the figures are those the papers report.
    /// </summary>
    public static RegressionScores Compute(PredictiveSamples predictive, RegressionSplit split)
    {
        Check.Argument(predictive.Kind == PredictiveKind.Regression && predictive.Samples.shape[^1] == 1,
            nameof(RegressionScores), nameof(predictive),
            $"a {predictive.Kind} predictive of shape {Check.Shape(predictive.Samples.shape)}",
            "a regression predictive of shape [T, N, 1] (one target)");
        using var scope = NewDisposeScope();
        double mean = split.Scaling.TargetMean, scale = split.Scaling.TargetScale;
        Tensor means = predictive.Samples.to(ScalarType.Float64) * scale + mean;
        Tensor? variances = predictive.Variances is { } v ? v.to(ScalarType.Float64) * (scale * scale) : null;
        Tensor targets = tensor(split.TestTargets.ToArray(), dtype: ScalarType.Float64, device: means.device).unsqueeze(1);
        return Score(means, variances, targets);
    }

    /// <summary>Scores a regression predictive [T, N, D] against targets [N, D] (or [N] for D = 1) on the same scale.</summary>
    public static RegressionScores Compute(PredictiveSamples predictive, Tensor targets)
    {
        Check.Argument(predictive.Kind == PredictiveKind.Regression, nameof(RegressionScores), nameof(predictive),
            $"a {predictive.Kind} predictive", "a regression predictive (means [T, N, D] with noise variances)",
            "Score classification predictions with PredictiveScores.Compute.");
        using var scope = NewDisposeScope();
        Tensor y = targets.to(ScalarType.Float64);
        if (y.dim() == 1) y = y.unsqueeze(1);
        return Score(predictive.Samples.to(ScalarType.Float64), predictive.Variances?.to(ScalarType.Float64), y);
    }

    static RegressionScores Score(Tensor means, Tensor? variances, Tensor targets)
    {
        Check.Argument(variances is not null, nameof(RegressionScores), "predictive", "a predictive without noise variances",
            "a predictive with the noise variances s2_t [T, N, D] (the test log-likelihood is of the full predictive, noise included)",
            "Pass the model's noise: PredictiveSamples.Regression(means, variances), with a homoscedastic variance expanded to [T, N, D].");
        Check.Argument(targets.shape.SequenceEqual(means.shape[1..]), nameof(RegressionScores), "targets",
            $"shape {Check.Shape(targets.shape)}", $"the predictive's [N, D] = {Check.Shape(means.shape[1..])}");
        double rmse = (means.mean(new long[] { 0 }) - targets).square().mean().sqrt().item<double>();
        double ll = MixtureLogLikelihood(means, variances!, targets).mean().item<double>();
        return new RegressionScores(rmse, ll, means.shape[1], means.shape[0]);
    }

    /// <summary>
    /// log p(y_i) of the equally weighted Gaussian mixture, per point: logsumexp_t sum_d log N(y_id; mu_tid, s2_tid) - log T,
    /// shape [N], float64. <paramref name="means"/> and <paramref name="variances"/> (&gt; 0) are [T, N, D], targets [N, D].
    /// </summary>
    public static Tensor MixtureLogLikelihood(Tensor means, Tensor variances, Tensor targets)
    {
        Check.Positive(variances, nameof(RegressionScores), "variances");
        using var scope = NewDisposeScope();
        Tensor mu = means.to(ScalarType.Float64), v = variances.to(ScalarType.Float64), y = targets.to(ScalarType.Float64);
        Tensor logDensity = (-0.5 * ((y - mu).square() / v + v.log() + Math.Log(2 * Math.PI))).sum(-1); // [T, N]
        return (logDensity.logsumexp(0) - Math.Log(mu.shape[0])).MoveToOuterDisposeScope();
    }
}
