using BayesDL.Calibration;
using BayesDL.Engine;
using BayesDL.Mcmc;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Simulation-based calibration (Talts et al. 2018) of NUTS on Bayesian linear regression (N = 20 inputs in [-1, 1], intercept
/// and slope, noise 0.5, prior N(0, 1)): N replications (1,000; 40 with --quick), each a 1-chain NUTS run (150 warm-up
/// iterations; 60 with --quick) asked for L k draws, thinned by k = 2 to L = 99 (9 with --quick), ranks in 20 bins (5).
/// Reports the chi-square uniformity p-value per parameter, the Bonferroni-adjusted minimum, the seconds and the rank
/// histogram PNG (sbc-nuts-ranks.png in the output folder).
/// </summary>
public sealed class SbcWorkload : IWorkload
{
    public string Name => "sbc";
    public string Description => "simulation-based calibration of NUTS on Bayesian linear regression: uniformity p-values, seconds";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        var policy = ComputePolicy.Cpu.Float64();
        double[] xs = Enumerable.Range(0, 20).Select(i => -1.0 + 2.0 * i / 19.0).ToArray();
        using Tensor x = policy.Tensor(xs.SelectMany(v => new[] { 1.0, v }).ToArray(), 20, 2);
        var model = SbcModel.BayesianLinearRegression(x, 0.5, 1.0);
        var hmc = new HmcOptions(Warmup: options.Quick ? 60 : 150, Chains: 1);
        var nuts = PosteriorSamplers.Nuts(y => LogDensity.BayesianLinearRegression(x, y, 0.5, 1.0), hmc);
        var sbc = options.Quick
            ? new SbcOptions(Replications: 40, Draws: 9, Thinning: 2, Bins: 5, Seed: options.Seed)
            : new SbcOptions(Replications: 1000, Draws: 99, Thinning: 2, Bins: 20, Seed: options.Seed);
        options.Progress($"NUTS: {sbc.Replications} replications, L = {sbc.Draws} draws thinned by {sbc.Thinning}, {sbc.Bins} bins, " +
                         $"{hmc.Warmup} warm-up iterations");
        int every = Math.Max(1, sbc.Replications / 10);
        SbcResult result = Sbc.Run(model, nuts, sbc, (done, partial) =>
        {
            if (done % every == 0) options.Progress(partial.ToString()); // the p-values so far, should the run be stopped early
        });
        options.Progress(result.ToString());
        string png = Plotting.RankHistogramPlot.Save(result, Path.Combine(options.OutputDirectory, "sbc-nuts-ranks.png"));
        var figures = new Dictionary<string, object>
        {
            ["method"] = result.Method,
            ["replications"] = sbc.Replications,
            ["draws"] = sbc.Draws,
            ["thinning"] = sbc.Thinning,
            ["bins"] = sbc.Bins,
            ["warmup"] = hmc.Warmup,
            ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 2),
            ["seconds_per_replication"] = Math.Round(result.Elapsed.TotalSeconds / sbc.Replications, 4),
            ["min_p"] = Math.Round(result.MinPValue, 5),
            ["adjusted_p"] = Math.Round(result.AdjustedPValue, 5),
            ["passes_1pct"] = result.AdjustedPValue > 0.01,
            ["png"] = png,
        };
        foreach (SbcParameterResult p in result.Parameters)
        {
            figures[$"p_{p.Name}"] = Math.Round(p.PValue, 5);
            figures[$"chi2_{p.Name}"] = Math.Round(p.ChiSquare, 3);
        }
        return figures;
    }
}
