// MAP versus posterior on the cubic toy of Hernandez-Lobato & Adams (2015): 20 points x ~ U[-4, 4], y = x^3 + e,
// e ~ N(0, 3^2). One network, 1 -> 50 ReLU -> 1 with an N(0, 1) prior on every weight (targets scaled by 30, so the noise
// sd is 0.1), fitted six ways:
//   MAP:     the posterior mode (Adam on log prior + log likelihood: weight decay = the Gaussian prior), one network;
//   Laplace: a Gaussian around the MAP weights, precision = GGN / sigma^2 + prior precision, linearised (GLM) predictive;
//   VI:      Bayes by Backprop, a mean-field Gaussian over the weights fitted by maximising the ELBO;
//   SWAG:    the moments of the SGD iterates from the MAP weights (diagonal plus low rank);
//   SGHMC:   stochastic-gradient HMC from the MAP weights, minibatches of 5 points, draws kept after a burn-in;
//   NUTS:    draws from the weight posterior itself (the same log density as MAP).
// Each method is one line of `methods`: a name and a fit returning a predictor.
// Prints a table (test NLL on 500 fresh points, predictive sd inside the data and at |x| = 6, wall time) and writes
// artifacts/scripts/map-vs-posterior-csx.png, one panel per method.
// Run: dotnet run --project BayesDL.Cli -- script scripts/map-vs-posterior.csx
using System.Diagnostics;
using BayesDL.Mcmc;
using BayesDL.Networks;
using BayesDL.Swag;
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

// The same network of ordinary dense layers with the same prior and noise: what Laplace, SWAG and SGHMC work on. Its weights
// are ordered as the flat vector MAP and NUTS use (per layer W [out, in], then b [out]), so they all start from the MAP weights.
var deterministic = ModelBuilder.Sequential().Linear(1, hidden).Relu().Linear(hidden, 1)
    .WithPrior(Priors.Normal(0, 1)).WithLikelihood(Likelihoods.Gaussian(3.0 / scale));
var target = network.LogDensity(data.Inputs, data.Targets);

// MAP: maximise log p(theta) + log p(y | theta) over the flat weights with Adam (the same target NUTS samples); computed once,
// Laplace, SWAG and SGHMC start from it (their times below are their own part after it).
Tensor? mapMode = null;
Tensor MapMode()
{
    if (mapMode is not null) return mapMode;
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
    return mapMode = theta.detach().clone();
}

Func<Tensor, PredictiveSamples> FitMap()
{
    Tensor mode = MapMode();
    return x => target.Predict(mode, x);
}

// Laplace over all 151 weights around the MAP: the full GGN, the model's prior precision 1 (N(0, 1)) and noise, GLM predictive
// (closed form: f* and J Sigma J^T + sigma^2).
Func<Tensor, PredictiveSamples> FitLaplace()
{
    Tensor mode = MapMode().squeeze(0);
    var net = deterministic.BuildNetwork(policy);
    var functional = FunctionalNetwork.From(net, new long[] { 1 }, deterministic.Prior);
    using (no_grad())
    {
        long offset = 0;
        foreach (var p in net.parameters())
        {
            p.copy_(mode.narrow(0, offset, p.numel()).view(p.shape));
            offset += p.numel();
        }
    }
    if ((functional.Pack(net) - mode).abs().max().item<double>() != 0)
        throw new InvalidOperationException("the MAP weights did not land in the network's order");
    var posterior = deterministic.Laplace(net).AllWeights().Full().Glm().PriorPrecision(1.0).Fit(data);
    Console.WriteLine($"Laplace: log evidence {posterior.LogEvidence:F1}");
    return x => posterior.Predict(x);
}

// SWAG from the MAP weights: SGD with momentum on minibatches of 5, 4 snapshots per epoch, rank 20 (quick: 5). The rate is
// touchy here: at 3e-4 the iterates hardly leave the mode, at 5e-4 they jump out of it (test NLL 3.65); 4e-4 sits between.
Func<Tensor, PredictiveSamples> FitSwag()
{
    var options = new SwagOptions(Rank: Quick ? 5 : 20, Epochs: Quick ? 10 : 500, BurnInEpochs: Quick ? 1 : 50, BatchSize: 5,
        LearningRate: 4e-4, SnapshotsPerEpoch: 4, Seed: 3);
    var posterior = deterministic.FitSwag(data, options, policy, MapMode().squeeze(0));
    return x => posterior.Predict(x, Quick ? 20 : 200);
}

// SGHMC from the MAP weights: minibatches of 5 (gradients scaled to the 20 points), friction 0.1, 4 chains (quick: 1).
Func<Tensor, PredictiveSamples> FitSghmc()
{
    var options = new SgmcmcOptions(SgmcmcKind.Sghmc, Epochs: Quick ? 60 : 3000, BatchSize: 5, StepSize: 1e-5, Chains: Quick ? 1 : 4,
        BurnInEpochs: Quick ? 20 : 500, Thinning: Quick ? 4 : 40, Friction: 0.1, Seed: 3);
    var posterior = deterministic.FitSgmcmc(data, options, policy, MapMode().squeeze(0));
    return x => posterior.Predict(x, Math.Min(200, posterior.Store.ChainCount * posterior.Store.DrawsPerChain));
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
    ("Laplace (GGN, GLM)", FitLaplace),
    ("VI (Bayes by Backprop)", FitVI),
    ("SWAG", FitSwag),
    ("SGHMC", FitSghmc),
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
