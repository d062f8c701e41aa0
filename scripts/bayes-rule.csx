// Bayes' rule on a conjugate model: prior x likelihood -> posterior, and the evidence.
// Bayesian linear regression y = w0 + w1 x + e with a N(0, 1) prior on w: the exact posterior by
// Bayes' rule, variational inference (maximise the ELBO) reaching the same answer, and Hamiltonian Monte Carlo
// drawing from it without ever computing the evidence p(y).
// Run: dotnet run --project BayesDL.Cli -- script scripts/bayes-rule.csx (script-level `using var` is not C# script syntax,
// so the few tensors here live until the script ends).
using static TorchSharp.torch;
using BayesDL.Mcmc;

NativeEngine.Seed(2026);
var policy = ComputePolicy.Default.Float64();
int n = Quick ? 20 : 200;
double[] xs = Enumerable.Range(0, n).Select(i => -1.0 + 2.0 * i / (n - 1)).ToArray();
var rng = new Random(7);
const double noise = 0.5, priorStd = 1.0;
double[] ys = xs.Select(x => 1.5 - 2.0 * x + noise * (rng.NextDouble() - 0.5) * 3.4).ToArray();
var design = policy.Tensor(xs.SelectMany(x => new[] { 1.0, x }).ToArray(), n, 2);
var y = policy.Tensor(ys, n);

var exact = ConjugateLinearRegression.Posterior(design, y, noise, priorStd);
var vi = LinearRegressionVI.Fit(design, y, noise, priorStd);
var q = vi.Q;
string Show(Tensor t) => "[" + string.Join("; ", t.data<double>().ToArray().Select(v => v.ToString("F9"))) + "]";
Console.WriteLine($"exact posterior: mean {Show(exact.Mean)} std {Show(exact.StdDev())}");
Console.WriteLine($"variational q:   mean {Show(q.Mean)} std {Show(q.StdDev())}");
Console.WriteLine($"log evidence {ConjugateLinearRegression.LogEvidence(design, y, noise, priorStd):F6}, ELBO {vi.Elbo:F6}");

// MCMC: the evidence is the intractable part of Bayes' rule; HMC only needs log prior + log likelihood and its gradient.
set_num_threads(1); // a two-parameter model: one thread is fastest
var hmcOptions = new HmcOptions(Samples: Quick ? 200 : 2000, Warmup: Quick ? 150 : 1000, Chains: 4, Seed: 1);
var run = HamiltonianMonteCarlo.Sample(LogDensity.BayesianLinearRegression(design, y, noise, priorStd), hmcOptions);
string Cell(double m, double s) => $"{m:F4} ({s:F4})";
Console.WriteLine();
Console.WriteLine($"{"posterior of w",-22} {"w0: mean (sd)",-24} {"w1: mean (sd)",-24}");
void Row(string name, double m0, double s0, double m1, double s1) => Console.WriteLine($"{name,-22} {Cell(m0, s0),-24} {Cell(m1, s1),-24}");
double[] exactMean = exact.Mean.data<double>().ToArray(), exactStd = exact.StdDev().data<double>().ToArray();
double[] qMean = q.Mean.data<double>().ToArray(), qStd = q.StdDev().data<double>().ToArray();
Row("exact (Bayes' rule)", exactMean[0], exactStd[0], exactMean[1], exactStd[1]);
Row("variational q", qMean[0], qStd[0], qMean[1], qStd[1]);
Row("HMC", run.Summary[0].Mean, run.Summary[0].StdDev, run.Summary[1].Mean, run.Summary[1].StdDev);
Console.WriteLine($"{"  HMC MCSE of mean",-22} {run.Summary[0].Mcse,-24:F4} {run.Summary[1].Mcse,-24:F4}");
Console.WriteLine($"HMC: {run.ChainCount} chains x {run.DrawsPerChain} draws, acceptance " +
    $"{run.AcceptanceRate:F2}, min ESS {run.MinEss:F0}, " +
                  $"max R-hat {run.MaxRHat:F3}, {run.Divergences} divergences, {run.Elapsed.TotalSeconds:F1} s");

// The slope's prior N(0, 1), its exact posterior and the variational q: the data sharpen the belief.
double Density(double m, double s, double x) => Math.Exp(-0.5 * Math.Pow((x - m) / s, 2)) / (s * Math.Sqrt(2 * Math.PI));
double[] grid = Enumerable.Range(0, 401).Select(i => -4.0 + 0.02 * i).ToArray();
double[] every4 = grid.Where((_, i) => i % 4 == 0).ToArray();
double em = exact.Mean[1].item<double>(), es = exact.StdDev()[1].item<double>(), qm = q.Mean[1].item<double>(),
    qs = q.StdDev()[1].item<double>();
var plot = new ScottPlot.Plot();
plot.Add.ScatterLine(grid, grid.Select(x => Density(0, 1, x)).ToArray()).LegendText = "prior N(0, 1)";
plot.Add.ScatterLine(grid, grid.Select(x => Density(em, es, x)).ToArray()).LegendText = "exact posterior";
plot.Add.ScatterPoints(every4, every4.Select(x => Density(qm, qs, x)).ToArray()).LegendText = "variational q";
// HMC's draws of the slope as a normalised histogram.
double[] slopes = run.Trace(1).SelectMany(chain => chain).ToArray();
double lo = slopes.Min(), width = (slopes.Max() - lo) / 30;
double[] counts = new double[30];
foreach (double v in slopes) counts[Math.Min(29, (int)((v - lo) / width))] += 1;
plot.Add.ScatterLine(Enumerable.Range(0, 30).Select(i => lo + (i + 0.5) * width).ToArray(),
    counts.Select(c => c / (slopes.Length * width)).ToArray()).LegendText = "HMC draws (histogram)";
plot.Title($"Bayes' rule: the slope after {n} points");
plot.XLabel("slope w1");
plot.ShowLegend();
string png = Artifact("bayes-rule-csx.png");
plot.SavePng(png, 800, 500);
Console.WriteLine($"wrote {png}");
