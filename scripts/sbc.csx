// Simulation-based calibration (Talts et al. 2018): does an inference method return the right posterior? For n = 1..N draw
// theta~ from the prior and a data set y~ from the model, run the method on y~ for L draws and record the rank of theta~ among
// them; a correct method makes the ranks uniform. Two methods on Bayesian linear regression (sigma = 0.5, prior N(0, 1)):
//   NUTS on intercept and slope (20 inputs in [-1, 1]): a correct sampler, it passes;
//   the exact mean-field Gaussian of a strongly correlated posterior (two nearly collinear inputs): its marginal sds are
//   1 / sqrt(Lambda_ii), far below the true sqrt(Sigma_ii) (Bishop 2006, sec. 10.1.2), so theta~ falls outside the draws
//   and the outer bins fill: flagged.
// Prints the uniformity p-value per parameter (Pearson's chi-square over the bins) and writes one rank-histogram PNG per method,
// artifacts/scripts/sbc-nuts-csx.png and sbc-meanfield-csx.png (dashed lines: the band a bin stays in with probability 99%).
// SGLD joins the same way through PosteriorSamplers.Sgmcmc (see docs/sbc.md).
// Run: dotnet run --project BayesDL.Cli -- script scripts/sbc.csx
using BayesDL.Calibration;
using BayesDL.Mcmc;
using static TorchSharp.torch;

torch.set_num_threads(1);
var policy = ComputePolicy.Cpu.Float64();
void Report(SbcResult result, string file)
{
    Console.WriteLine(result);
    string verdict = result.AdjustedPValue < 0.01 ? "flagged" : "passes";
    Console.WriteLine($"  adjusted p = {result.AdjustedPValue:F4}: {verdict} at the 1% level");
    Console.WriteLine($"  wrote {RankHistogramPlot.Save(result, Artifact(file))}");
}

// NUTS: one chain per replication, L draws thinned by 2 (quick: N = 20, L = 9, 5 bins; full: N = 200, L = 19, 10 bins).
double[] xs = Enumerable.Range(0, 20).Select(i => -1.0 + 2.0 * i / 19.0).ToArray();
var line = policy.Tensor(xs.SelectMany(v => new[] { 1.0, v }).ToArray(), 20, 2);
var nuts = PosteriorSamplers.Nuts(y => LogDensity.BayesianLinearRegression(line, y, 0.5, 1.0), new HmcOptions(Warmup: 60, Chains: 1));
var nutsRun = Quick ? new SbcOptions(Replications: 20, Draws: 9, Thinning: 2, Bins: 5, Seed: 1)
                    : new SbcOptions(Replications: 200, Draws: 19, Thinning: 2, Bins: 10, Seed: 1);
Report(Sbc.Run(SbcModel.BayesianLinearRegression(line, 0.5, 1.0), nuts, nutsRun), "sbc-nuts-csx.png");

// Mean-field: two nearly collinear inputs, posterior correlation about -0.99; exact Gaussians are cheap, so N = 100 (full: 1,000).
var rng = new Random(5);
double[] u = Enumerable.Range(0, 30).Select(_ => 2.0 * rng.NextDouble() - 1.0).ToArray();
var collinear = policy.Tensor(u.SelectMany(v => new[] { v, v + 0.1 * (2.0 * rng.NextDouble() - 1.0) }).ToArray(), 30, 2);
var meanField = PosteriorSamplers.Gaussian("mean-field VI", y =>
{
    using var exact = ConjugateLinearRegression.Posterior(collinear, y, 0.5, 1.0);
    return new GaussianPosterior(exact.Mean.clone(), diag(1.0 / linalg.inv(exact.Covariance).diagonal()));
});
var meanFieldRun = new SbcOptions(Replications: Quick ? 100 : 1000, Draws: 19, Bins: 10, Seed: 3);
Report(Sbc.Run(SbcModel.BayesianLinearRegression(collinear, 0.5, 1.0), meanField, meanFieldRun), "sbc-meanfield-csx.png");
