// Bayes' rule on a conjugate model: prior x likelihood -> posterior, and the evidence.
// Bayesian linear regression y = w0 + w1 x + e with a N(0, 1) prior on w: the exact posterior by
// Bayes' rule, and variational inference (maximise the ELBO) reaching the same answer.
// Run: dotnet run --project BayesDL.Cli -- script scripts/bayes-rule.csx (script-level `using var` is not C# script syntax,
// so the few tensors here live until the script ends).
using static TorchSharp.torch;

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

// The slope's prior N(0, 1), its exact posterior and the variational q: the data sharpen the belief.
double Density(double m, double s, double x) => Math.Exp(-0.5 * Math.Pow((x - m) / s, 2)) / (s * Math.Sqrt(2 * Math.PI));
double[] grid = Enumerable.Range(0, 401).Select(i => -4.0 + 0.02 * i).ToArray();
double[] every4 = grid.Where((_, i) => i % 4 == 0).ToArray();
double em = exact.Mean[1].item<double>(), es = exact.StdDev()[1].item<double>(), qm = q.Mean[1].item<double>(), qs = q.StdDev()[1].item<double>();
var plot = new ScottPlot.Plot();
plot.Add.ScatterLine(grid, grid.Select(x => Density(0, 1, x)).ToArray()).LegendText = "prior N(0, 1)";
plot.Add.ScatterLine(grid, grid.Select(x => Density(em, es, x)).ToArray()).LegendText = "exact posterior";
plot.Add.ScatterPoints(every4, every4.Select(x => Density(qm, qs, x)).ToArray()).LegendText = "variational q";
plot.Title($"Bayes' rule: the slope after {n} points");
plot.XLabel("slope w1");
plot.ShowLegend();
string png = Artifact("bayes-rule-csx.png");
plot.SavePng(png, 800, 500);
Console.WriteLine($"wrote {png}");
