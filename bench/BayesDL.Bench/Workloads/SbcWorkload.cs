using BayesDL.Calibration;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Mcmc;
using BayesDL.Networks;
using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Simulation-based calibration (Talts et al. 2018) on Bayesian linear regression (N = 20 inputs in [-1, 1], intercept and slope,
/// noise 0.5, prior N(0, 1)) of two samplers, each with N replications (1,000; 40 with --quick), ranks in 20 bins (5):
/// <list type="bullet">
/// <item>NUTS: a 1-chain run (150 warm-up iterations; 60 with --quick) asked for L k draws, thinned by k = 2 to L = 99 (9);</item>
/// <item>SGLD with decreasing steps (Welling &amp; Teh 2011) over the weights of one bias-free dense layer on (1, x), the same model:
/// minibatches of 10, η_t = 0.01 (1 + t / 8)^-1 over 200 steps; L = 99 (9) chains side by side, each chain's final weights one
/// draw (thinning 1).</item>
/// </list>
/// <c>--methods nuts,sgld</c> picks the samplers (both by default). Reports per sampler the chi-square uniformity p-value per
/// parameter, the Bonferroni-adjusted minimum, the seconds and the rank histogram PNG (sbc-nuts-ranks.png, sbc-sgld-ranks.png in
/// the output folder); the NUTS figures under their original keys, SGLD's prefixed with sgld_.
/// </summary>
public sealed class SbcWorkload : IWorkload
{
    public string Name => "sbc";
    public string Description =>
        "simulation-based calibration of NUTS and SGLD (decreasing steps) on Bayesian linear regression: uniformity p-values, seconds";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        var policy = ComputePolicy.Cpu.Float64();
        double[] xs = Enumerable.Range(0, 20).Select(i => -1.0 + 2.0 * i / 19.0).ToArray();
        using Tensor x = policy.Tensor(xs.SelectMany(v => new[] { 1.0, v }).ToArray(), 20, 2);
        var model = SbcModel.BayesianLinearRegression(x, 0.5, 1.0);
        string[] methods = (options.Value("--methods") ?? "nuts,sgld").Split(',', StringSplitOptions.RemoveEmptyEntries);
        foreach (string m in methods)
            if (m is not ("nuts" or "sgld"))
                throw new ArgumentException($"sbc: --methods lists '{m}'; expected a comma-separated subset of nuts,sgld.");
        var figures = new Dictionary<string, object> { ["methods"] = string.Join(",", methods) };
        int replications = options.Quick ? 40 : 1000;
        if (methods.Contains("nuts"))
        {
            var hmc = new HmcOptions(Warmup: options.Quick ? 60 : 150, Chains: 1);
            var nuts = PosteriorSamplers.Nuts(y => LogDensity.BayesianLinearRegression(x, y, 0.5, 1.0), hmc);
            var sbc = options.Quick
                ? new SbcOptions(Replications: replications, Draws: 9, Thinning: 2, Bins: 5, Seed: options.Seed)
                : new SbcOptions(Replications: replications, Draws: 99, Thinning: 2, Bins: 20, Seed: options.Seed);
            options.Progress($"NUTS: {sbc.Replications} replications, L = {sbc.Draws} draws thinned by {sbc.Thinning}, {sbc.Bins} bins, " +
                             $"{hmc.Warmup} warm-up iterations");
            Report(figures, "", RunOne(options, model, nuts, sbc, "sbc-nuts-ranks.png"), sbc);
            figures["warmup"] = hmc.Warmup;
        }
        if (methods.Contains("sgld"))
        {
            var sgld = new SgmcmcOptions(SgmcmcKind.Sgld, Epochs: 100, BatchSize: 10, StepSize: 0.01, StepDecay: 1.0, StepDecayOffset: 8);
            using var layer = TorchSharp.torch.nn.Linear(2, 1, hasBias: false, dtype: ScalarType.Float64);
            using var module = TorchSharp.torch.nn.Sequential(("w", layer));
            var network = FunctionalNetwork.From(module, [2], PriorSpec.Normal(0.0, 1.0));
            var sampler = PosteriorSamplers.Sgmcmc(network, Likelihood.Gaussian(GaussianNoise.Fixed, 0.5), x, sgld);
            var sbc = options.Quick
                ? new SbcOptions(Replications: replications, Draws: 9, Thinning: 1, Bins: 5, Seed: options.Seed)
                : new SbcOptions(Replications: replications, Draws: 99, Thinning: 1, Bins: 20, Seed: options.Seed);
            options.Progress($"{sampler.Name}: {sbc.Replications} replications, L = {sbc.Draws} chains of {sgld.Epochs} epochs " +
                             $"(batch {sgld.BatchSize} of 20, η_0 = {sgld.StepSize}, b = {sgld.StepDecayOffset}, γ = {sgld.StepDecay}), " +
                             $"{sbc.Bins} bins");
            Report(figures, "sgld_", RunOne(options, model, sampler, sbc, "sbc-sgld-ranks.png"), sbc);
            figures["sgld_steps"] = sgld.Epochs * 2;
        }
        return figures;
    }

    static (SbcResult Result, string Png) RunOne(BenchOptions options, SbcModel model, IPosteriorSampler method, SbcOptions sbc,
        string file)
    {
        int every = Math.Max(1, sbc.Replications / 10);
        SbcResult result = Sbc.Run(model, method, sbc, (done, partial) =>
        {
            if (done % every == 0) options.Progress(partial.ToString()); // the p-values so far, should the run be stopped early
        });
        options.Progress(result.ToString());
        return (result, Plotting.RankHistogramPlot.Save(result, Path.Combine(options.OutputDirectory, file)));
    }

    static void Report(Dictionary<string, object> figures, string prefix, (SbcResult Result, string Png) run, SbcOptions sbc)
    {
        var (result, png) = run;
        figures[prefix + "method"] = result.Method;
        figures[prefix + "replications"] = sbc.Replications;
        figures[prefix + "draws"] = sbc.Draws;
        figures[prefix + "thinning"] = sbc.Thinning;
        figures[prefix + "bins"] = sbc.Bins;
        figures[prefix + "seconds"] = Math.Round(result.Elapsed.TotalSeconds, 2);
        figures[prefix + "seconds_per_replication"] = Math.Round(result.Elapsed.TotalSeconds / sbc.Replications, 4);
        figures[prefix + "min_p"] = Math.Round(result.MinPValue, 5);
        figures[prefix + "adjusted_p"] = Math.Round(result.AdjustedPValue, 5);
        figures[prefix + "passes_1pct"] = result.AdjustedPValue > 0.01;
        figures[prefix + "png"] = png;
        foreach (SbcParameterResult p in result.Parameters)
        {
            figures[$"{prefix}p_{p.Name}"] = Math.Round(p.PValue, 5);
            figures[$"{prefix}chi2_{p.Name}"] = Math.Round(p.ChiSquare, 3);
        }
    }
}
