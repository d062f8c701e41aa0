using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Mcmc;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Hamiltonian Monte Carlo (static, then NUTS) on conjugate Bayesian linear regression (N = 200 points, D = 5 weights: intercept and four
/// correlated features, noise 0.5, prior N(0, 1)), where Bayes' rule gives the exact posterior. Reports sampling
/// efficiency (min ESS per second, warm-up included), convergence (max rank-normalized R-hat), the adapted acceptance
/// rate, divergences, and the error of the HMC posterior mean and sd against the exact ones, in exact-sd units and in
/// Monte Carlo standard errors; full-rank VI on the same model for comparison.
/// </summary>
public sealed class McmcWorkload : IWorkload
{
    public string Name => "mcmc";
    public string Description => "HMC and NUTS on Bayesian linear regression (N=200, D=5): ESS/s, R-hat, " +
        "acceptance, error vs the exact posterior";

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

        // --chains N (default 4): the samplers batch the waiting chains' positions into one gradient call per round, so more
        // chains cost little more per call; the figures are for the given number of chains, each with the same draws.
        string? chainsText = options.Value("--chains");
        int chains = chainsText is null ? 4 : int.TryParse(chainsText, out int c) && c > 0 ? c
            : throw new ArgumentException($"mcmc: --chains {chainsText} is not a positive whole number of chains, e.g. --chains 16.");
        var hmc = new HmcOptions(Samples: options.Quick ? 200 : 2000, Warmup: options.Quick ? 150 : 1000,
            Chains: chains, LeapfrogSteps: 10, Seed: 17);
        var target = LogDensity.BayesianLinearRegression(x, y, noise, priorStd);
        var figures = new Dictionary<string, object>();
        foreach (string sampler in new[] { "hmc", "nuts" })
        {
            double rssBefore = ProcessMemory.RssMb();
            options.Progress($"{sampler}: {hmc.Chains} chains, {hmc.Warmup} warm-up + {hmc.Samples} draws" +
                             (sampler == "hmc" ? $", up to {hmc.LeapfrogSteps} leapfrog steps" : $", tree depth <= {hmc.MaxTreeDepth}"));
            using var run = sampler == "hmc" ? HamiltonianMonteCarlo.Sample(target, hmc) : NoUTurnSampler.Sample(target, hmc);
            double rssAfter = ProcessMemory.RssMb();
            var s = run.Summary;
            double meanErrorSd = Enumerable.Range(0, d).Max(i => Math.Abs(s[i].Mean - exactMean[i]) / exactSd[i]);
            double meanErrorMcse = Enumerable.Range(0, d).Max(i => Math.Abs(s[i].Mean - exactMean[i]) / s[i].Mcse);
            double sdRelativeError = Enumerable.Range(0, d).Max(i => Math.Abs(s[i].StdDev / exactSd[i] - 1));
            options.Progress($"{sampler}: min ESS {run.MinEss:F0} in {run.Elapsed.TotalSeconds:F1} s " +
                $"({run.EssPerSecond:F1}/s), {(double)run.GradientEvaluations / run.TargetCalls:F2} chains per gradient call, " +
                $"max R-hat {run.MaxRHat:F4}, " +
                             $"acceptance {run.AcceptanceRate:F3}, mean error {meanErrorSd:F4} sd = {meanErrorMcse:F2} MCSE, RSS " +
                             $"{rssBefore:F0} -> {rssAfter:F0} MB");
            figures[$"{sampler}_ess_per_s"] = Math.Round(run.EssPerSecond, 2);
            figures[$"{sampler}_min_ess"] = Math.Round(run.MinEss, 1);
            figures[$"{sampler}_min_bulk_ess"] = Math.Round(s.Min(p => p.BulkEss), 1);
            figures[$"{sampler}_max_rhat"] = Math.Round(run.MaxRHat, 5);
            figures[$"{sampler}_acceptance"] = Math.Round(run.AcceptanceRate, 4);
            figures[$"{sampler}_warmup_acceptance"] = Math.Round(run.WarmupAcceptanceRate, 4);
            figures[$"{sampler}_step_size_mean"] = Math.Round(run.StepSizes.Average(), 5);
            figures[$"{sampler}_divergences"] = run.Divergences;
            figures[$"{sampler}_gradient_evaluations"] = run.GradientEvaluations;
            figures[$"{sampler}_target_calls"] = run.TargetCalls;
            figures[$"{sampler}_us_per_call"] = Math.Round(1e6 * run.Elapsed.TotalSeconds / run.TargetCalls, 1);
            figures[$"{sampler}_us_per_chain_gradient"] = Math.Round(1e6 * run.Elapsed.TotalSeconds / run.GradientEvaluations, 1);
            figures[$"{sampler}_seconds"] = Math.Round(run.Elapsed.TotalSeconds, 3);
            figures[$"{sampler}_mean_error_max_in_sd"] = Math.Round(meanErrorSd, 5);
            figures[$"{sampler}_mean_error_max_in_mcse"] = Math.Round(meanErrorMcse, 3);
            figures[$"{sampler}_sd_relative_error_max"] = Math.Round(sdRelativeError, 5);
            figures[$"{sampler}_rss_mb_before"] = Math.Round(rssBefore, 1);
            figures[$"{sampler}_rss_mb_after"] = Math.Round(rssAfter, 1);
        }
        vi.Q.Dispose();
        figures["draws"] = hmc.Chains * hmc.Samples;
        figures["target_acceptance"] = hmc.TargetAcceptance;
        figures["vi_mean_error_max_in_sd"] =
            Math.Round(Enumerable.Range(0, d).Max(i => Math.Abs(viMean[i] - exactMean[i]) / exactSd[i]), 9);
        figures["vi_sd_relative_error_max"] = Math.Round(Enumerable.Range(0, d).Max(i => Math.Abs(viSd[i] / exactSd[i] - 1)), 9);
        figures["peak_rss_mb"] = Math.Round(ProcessMemory.PeakRssMb(), 1);
        figures["device"] = policy.ToString();
        return figures;
    }
}
