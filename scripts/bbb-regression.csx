// Bayes by Backprop on the toy regression of Hernandez-Lobato & Adams (2015): 20 points x ~ U[-4, 4],
// y = x^3 + e, e ~ N(0, 3^2). A Bayesian MLP (mean-field Gaussian weights, N(0, 1) prior) is fitted by
// maximising the ELBO; the predictive band (mean +- 2 sd from 200 weight draws) widens away from the data.
// Then HMC samples the posterior of the same declared network (SampleHmc), for the same comparison.
// Writes artifacts/scripts/bbb-regression-csx.png.
// Run: dotnet run --project BayesDL.Cli -- script scripts/bbb-regression.csx
using BayesDL.Mcmc;

var policy = ComputePolicy.Cpu.Float64();
NativeEngine.Seed(2026);
var rng = new Random(4);
double[] xs = Enumerable.Range(0, 20).Select(_ => -4.0 + 8.0 * rng.NextDouble()).ToArray();
double Normal01() => Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble());
double[] ys = xs.Select(x => Math.Pow(x, 3) + 3.0 * Normal01()).ToArray();
// Targets scaled to unit size so the N(0, 1) weight prior fits them; the noise sd scales alike.
const double scale = 30.0;
var data = new LabeledData(policy.Tensor(xs, 20, 1), policy.Tensor(ys.Select(y => y / scale).ToArray(), 20, 1));

var declaration = ModelBuilder.Sequential()
    .BayesLinear(1, 64, prior: Priors.Normal(0, 1)).Relu().BayesLinear(64, 1)
    .WithLikelihood(Likelihoods.Gaussian(3.0 / scale))
    .WithVariational(VariationalFamily.MeanField);
var fit = declaration.FitVariational(data, new VariationalFitOptions(Epochs: Quick ? 40 : 3000, BatchSize: 20,
    LearningRate: 0.01, WeightSamples: 4), policy);
var last = fit.Epochs[^1];
Console.WriteLine($"trained {last.Epoch} epochs: ELBO {last.Elbo:F2}, KL {last.KL:F1} nats");

double[] grid = Enumerable.Range(0, 121).Select(i => -6.0 + 0.1 * i).ToArray();
var predictive = fit.Model.Predict(policy.Tensor(grid, 121, 1), Quick ? 20 : 200);
double[] mean = predictive.Mean().data<double>().Select(m => m * scale).ToArray();
double[] sd = predictive.TotalVariance().sqrt().data<double>().Select(s => s * scale).ToArray();
void Report(string name, double[] sd)
{
    double SdAt(double x) => sd[Array.FindIndex(grid, g => Math.Abs(g - x) < 1e-9)];
    double inside = grid.Select((g, i) => (g, i)).Where(p => Math.Abs(p.g) <= 4).Average(p => sd[p.i]);
    Console.WriteLine($"{name} predictive sd: {inside:F1} on [-4, 4] on average, {SdAt(-6):F1} at x = -6, {SdAt(6):F1} at x = 6 (ratio " +
        $"{(SdAt(-6) + SdAt(6)) / 2 / inside:F1})");
}
Report("Bayes by Backprop", sd);

// HMC on the same network's weight posterior (all 193 weights, the same prior and likelihood). Its leapfrog steps are
// small sequential products ([chains, 20, 64]): one thread, as waiting on a busy second core costs more than it saves.
torch.set_num_threads(1);
var hmc = declaration.SampleHmc(data.Inputs, data.Targets,
    new HmcOptions(Samples: Quick ? 40 : 500, Warmup: Quick ? 40 : 500, Chains: Quick ? 2 : 4, Seed: 7));
Console.WriteLine($"HMC: {hmc.Result.ChainCount * hmc.Result.DrawsPerChain} draws, acceptance {hmc.Result.AcceptanceRate:F2}, " +
    $"{hmc.Result.Divergences} divergences, {hmc.Result.Elapsed.TotalSeconds:F1} s");
var hmcPredictive = hmc.Predict(policy.Tensor(grid, 121, 1));
double[] hmcMean = hmcPredictive.Mean().data<double>().Select(m => m * scale).ToArray();
double[] hmcSd = hmcPredictive.TotalVariance().sqrt().data<double>().Select(s => s * scale).ToArray();
Report("HMC", hmcSd);

var plot = new ScottPlot.Plot();
plot.Add.FillY(grid, mean.Zip(sd, (m, s) => m - 2 * s).ToArray(), mean.Zip(sd, (m, s) => m + 2 * s).ToArray()).LegendText =
    "Bayes by Backprop mean +- 2 sd";
plot.Add.ScatterLine(grid, mean).LegendText = "predictive mean";
foreach (double sign in new[] { -1.0, 1.0 })
{
    var band = plot.Add.ScatterLine(grid, hmcMean.Zip(hmcSd, (m, s) => m + sign * 2 * s).ToArray());
    band.Color = ScottPlot.Colors.Green;
    if (sign > 0) band.LegendText = "HMC mean +- 2 sd";
}
plot.Add.ScatterLine(grid, grid.Select(x => Math.Pow(x, 3)).ToArray()).LegendText = "x^3";
plot.Add.ScatterPoints(xs, ys).LegendText = "data";
plot.Title("Bayes by Backprop and HMC: y = x^3 + e");
plot.ShowLegend();
string png = Artifact("bbb-regression-csx.png");
plot.SavePng(png, 800, 500);
Console.WriteLine($"wrote {png}");
