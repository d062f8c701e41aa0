// MAP versus posterior on the cubic toy of Hernandez-Lobato & Adams (2015): 20 points x ~ U[-4, 4], y = x^3 + e,
// e ~ N(0, 3^2). One network, 1 -> 50 ReLU -> 1 with an N(0, 1) prior on every weight (targets scaled by 30, so the noise
// sd is 0.1), fitted three ways:
//   MAP:  the posterior mode (Adam on log prior + log likelihood: weight decay = the Gaussian prior), one network;
//   VI:   Bayes by Backprop, a mean-field Gaussian over the weights fitted by maximising the ELBO;
//   NUTS: draws from the weight posterior itself (the same log density as MAP).
// Each method is one line of `methods`: a name and a fit returning a predictor; Laplace, SWAG or SGHMC join with one line.
// Prints a table (test NLL on 500 fresh points, predictive sd inside the data and at |x| = 6, wall time) and writes
// artifacts/scripts/map-vs-posterior-csx.png, one panel per method.
// Run: dotnet run --project BayesDL.Cli -- script scripts/map-vs-posterior.csx
using System.Diagnostics;
using BayesDL.Mcmc;
using static TorchSharp.torch;

var policy = ComputePolicy.Cpu.Float64();
torch.set_num_threads(1); // small sequential products: one thread beats waiting on a busy second core
NativeEngine.Seed(2026);
var rng = new Random(4);
double Normal01() => Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble());
(double[] X, double[] Y) Draw(int n)
{
    double[] x = Enumerable.Range(0, n).Select(_ => -4.0 + 8.0 * rng.NextDouble()).ToArray();
    return (x, x.Select(v => Math.Pow(v, 3) + 3.0 * Normal01()).ToArray());
}
var (xs, ys) = Draw(20);
var (testX, testY) = Draw(500);
const double scale = 30.0; // targets / 30: unit size, so the N(0, 1) weight prior fits them
Tensor Column(double[] v) => policy.Tensor(v, v.Length, 1);
var data = new LabeledData(Column(xs), Column(ys.Select(y => y / scale).ToArray()));
const int hidden = 50;
// One declaration for every method: its weights, prior and likelihood (VI also reads its variational family).
var network = ModelBuilder.Sequential()
    .BayesLinear(1, hidden, prior: Priors.Normal(0, 1)).Relu().BayesLinear(hidden, 1)
    .WithLikelihood(Likelihoods.Gaussian(3.0 / scale))
    .WithVariational(VariationalFamily.MeanField);

// MAP: maximise log p(theta) + log p(y | theta) over the flat weights with Adam (the same target NUTS samples).
Func<Tensor, PredictiveSamples> FitMap()
{
    var target = network.LogDensity(data.Inputs, data.Targets);
    var theta = new TorchSharp.Modules.Parameter(randn(1, target.Dimension, dtype: ScalarType.Float64) * 0.3);
    var adam = optim.Adam(new[] { theta }, 0.01);
    for (int step = 0; step < (Quick ? 300 : 5000); step++)
    {
        using var scope = NewDisposeScope();
        adam.zero_grad();
        Tensor loss = -target.Target.Evaluate(theta).sum();
        loss.backward();
        adam.step();
    }
    Tensor mode = theta.detach().clone();
    return x => target.Predict(mode, x);
}

// VI: Bayes by Backprop on the same declaration (mean-field Gaussian weights, the same prior and noise).
Func<Tensor, PredictiveSamples> FitVI()
{
    var options = new VariationalFitOptions(Epochs: Quick ? 40 : 3000, BatchSize: 20, LearningRate: 0.01, WeightSamples: 4);
    var fit = network.FitVariational(data, options, policy);
    return x => fit.Model.Predict(x, Quick ? 20 : 200);
}

// NUTS over all weights of the same network: 2 chains of 200 warm-up and 200 kept iterations, trees of at most 2^7 steps
// (the quick run: 1 chain, 15 + 10 iterations, 2^4 steps).
Func<Tensor, PredictiveSamples> FitNuts()
{
    var options = Quick ? new HmcOptions(Samples: 10, Warmup: 15, Chains: 1, MaxTreeDepth: 4, Seed: 7)
                        : new HmcOptions(Samples: 200, Warmup: 200, Chains: 2, MaxTreeDepth: 7, Seed: 7);
    var posterior = network.SampleNuts(data.Inputs, data.Targets, options);
    Console.WriteLine($"NUTS: acceptance {posterior.Result.AcceptanceRate:F2}, {posterior.Result.Divergences} divergences, " +
                      $"{posterior.Result.GradientEvaluations} gradient evaluations");
    return x => posterior.Predict(x, Math.Min(200, posterior.Result.ChainCount * posterior.Result.DrawsPerChain));
}

var methods = new (string Name, Func<Func<Tensor, PredictiveSamples>> Fit)[]
{
    ("MAP", FitMap),
    ("VI (Bayes by Backprop)", FitVI),
    ("NUTS", FitNuts),
};

double[] grid = Enumerable.Range(0, 121).Select(i => -6.0 + 0.1 * i).ToArray();
double SdAt(double[] sd, double x) => sd[Array.FindIndex(grid, g => Math.Abs(g - x) < 1e-9)];
Console.WriteLine($"{"method",-24} {"test NLL",10} {"sd in [-4, 4]",14} {"sd at x=-6",12} {"sd at x=6",12} {"seconds",10}");
var panels = new List<PredictiveBandsPlot.Panel>();
foreach (var (name, fit) in methods)
{
    var watch = Stopwatch.StartNew();
    var predict = fit();
    double seconds = watch.Elapsed.TotalSeconds;
    using var predictive = predict(Column(grid));
    double[] mean = predictive.Mean().data<double>().Select(m => m * scale).ToArray();
    double[] sd = predictive.TotalVariance().sqrt().data<double>().Select(s => s * scale).ToArray();
    using var test = predict(Column(testX));
    // Test log-likelihood on the scaled targets, moved to the original units: log p(y) = log p(y / 30) - log 30.
    double nll = -(RegressionScores.Compute(test, Column(testY.Select(y => y / scale).ToArray())).TestLogLikelihood - Math.Log(scale));
    double inside = grid.Select((g, i) => (g, i)).Where(p => Math.Abs(p.g) <= 4).Average(p => sd[p.i]);
    Console.WriteLine($"{name,-24} {nll,10:F3} {inside,14:F2} {SdAt(sd, -6),12:F2} {SdAt(sd, 6),12:F2} {seconds,10:F1}");
    panels.Add(new PredictiveBandsPlot.Panel($"{name}: NLL {nll:F2}, {seconds:F1} s", grid, mean, sd));
}
string png = PredictiveBandsPlot.Save(panels, xs, ys, Artifact("map-vs-posterior-csx.png"), grid.Select(x => Math.Pow(x, 3)).ToArray());
Console.WriteLine($"wrote {png}");
