using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Mcmc;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Hamiltonian Monte Carlo on conjugate Bayesian linear regression (N = 200 points, D = 5 weights: intercept and four
/// correlated features, noise 0.5, prior N(0, 1)), where Bayes' rule gives the exact posterior. Reports sampling
/// efficiency (min ESS per second, warm-up included), convergence (max rank-normalized R-hat), the adapted acceptance
/// rate, divergences, and the error of the HMC posterior mean and sd against the exact ones, in exact-sd units and in
/// Monte Carlo standard errors; full-rank VI on the same model for comparison.
/// </summary>
public sealed class McmcWorkload : IWorkload
{
    public string Name => "mcmc";
    public string Description => "HMC on Bayesian linear regression (N=200, D=5): ESS/s, R-hat, acceptance, error vs the exact posterior";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        var policy = ComputePolicy.Cpu.Float64();
        NativeEngine.Seed(17);
        using var scope = NewDisposeScope();
        const int n = 200, d = 5;
        const double noise = 0.5, priorStd = 1.0;
        Tensor Column() => randn(n, dtype: policy.Dtype);
        Tensor a = Column();
        // The second feature is correlated with the first (0.8): a correlated posterior, as in real regressions.
        Tensor x = stack(new[] { ones(n, dtype: policy.Dtype), a, 0.8 * a + 0.6 * Column(), Column(), Column() }, 1);
        Tensor trueW = policy.Tensor(new[] { 0.5, -1.0, 2.0, 0.0, 1.5 }, d);
        Tensor y = x.matmul(trueW) + noise * randn(n, dtype: policy.Dtype);

        using var exact = ConjugateLinearRegression.Posterior(x, y, noise, priorStd);
        double[] exactMean = exact.Mean.data<double>().ToArray(), exactSd = exact.StdDev().data<double>().ToArray();
        var vi = LinearRegressionVI.Fit(x, y, noise, priorStd);
        double[] viMean = vi.Q.Mean.data<double>().ToArray(), viSd = vi.Q.StdDev().data<double>().ToArray();

        var hmc = new HmcOptions(Samples: options.Quick ? 200 : 2000, Warmup: options.Quick ? 150 : 1000, Chains: 4, LeapfrogSteps: 10, Seed: 17);
        double rssBefore = ProcessMemory.RssMb();
        options.Progress($"HMC: {hmc.Chains} chains, {hmc.Warmup} warm-up + {hmc.Samples} draws, up to {hmc.LeapfrogSteps} leapfrog steps");
        using var run = HamiltonianMonteCarlo.Sample(LogDensity.BayesianLinearRegression(x, y, noise, priorStd), hmc);
        double rssAfter = ProcessMemory.RssMb();

        var s = run.Summary;
        double meanErrorSd = Enumerable.Range(0, d).Max(i => Math.Abs(s[i].Mean - exactMean[i]) / exactSd[i]);
        double meanErrorMcse = Enumerable.Range(0, d).Max(i => Math.Abs(s[i].Mean - exactMean[i]) / s[i].Mcse);
        double sdRelativeError = Enumerable.Range(0, d).Max(i => Math.Abs(s[i].StdDev / exactSd[i] - 1));
        double viMeanError = Enumerable.Range(0, d).Max(i => Math.Abs(viMean[i] - exactMean[i]) / exactSd[i]);
        double viSdError = Enumerable.Range(0, d).Max(i => Math.Abs(viSd[i] / exactSd[i] - 1));
        options.Progress($"min ESS {run.MinEss:F0} in {run.Elapsed.TotalSeconds:F1} s ({run.EssPerSecond:F1}/s), max R-hat {run.MaxRHat:F4}, " +
                         $"acceptance {run.AcceptanceRate:F3}, mean error {meanErrorSd:F4} sd = {meanErrorMcse:F2} MCSE");
        vi.Q.Dispose();
        return new Dictionary<string, object>
        {
            ["ess_per_s"] = Math.Round(run.EssPerSecond, 2),
            ["min_ess"] = Math.Round(run.MinEss, 1),
            ["min_bulk_ess"] = Math.Round(s.Min(p => p.BulkEss), 1),
            ["max_rhat"] = Math.Round(run.MaxRHat, 5),
            ["acceptance"] = Math.Round(run.AcceptanceRate, 4),
            ["warmup_acceptance"] = Math.Round(run.WarmupAcceptanceRate, 4),
            ["target_acceptance"] = hmc.TargetAcceptance,
            ["step_size_mean"] = Math.Round(run.StepSizes.Average(), 5),
            ["divergences"] = run.Divergences,
            ["gradient_evaluations"] = run.GradientEvaluations,
            ["seconds"] = Math.Round(run.Elapsed.TotalSeconds, 3),
            ["draws"] = hmc.Chains * hmc.Samples,
            ["hmc_mean_error_max_in_sd"] = Math.Round(meanErrorSd, 5),
            ["hmc_mean_error_max_in_mcse"] = Math.Round(meanErrorMcse, 3),
            ["hmc_sd_relative_error_max"] = Math.Round(sdRelativeError, 5),
            ["vi_mean_error_max_in_sd"] = viMeanError,
            ["vi_sd_relative_error_max"] = viSdError,
            ["rss_mb_before"] = Math.Round(rssBefore, 1),
            ["rss_mb_after"] = Math.Round(rssAfter, 1),
            ["peak_rss_mb"] = Math.Round(ProcessMemory.PeakRssMb(), 1),
            ["device"] = policy.ToString(),
        };
    }
}
