// A network already trained, made Bayesian after the fact. One MAP network 784-200-10 on the bundled MNIST subset (Adam 1e-3,
// batch 128, maximum likelihood: a deep ensemble of one member), then, without retraining it:
//   Laplace: last-layer KFAC around its weights, GLM predictive (probit), prior precision 1 (untuned) and tuned by maximising
//            the Laplace log evidence (Immer et al. 2021; Daxberger et al. 2021); the tuned one also with the softmax
//            integrated by 100 Monte Carlo draws of f instead of the probit approximation;
//   SWAG:    SGD from its weights with 4 snapshots per epoch, diagonal plus rank-20 covariance (Maddox et al. 2019).
// Prints accuracy, NLL, ECE and the seconds of each post-hoc fit against MAP's training time (quick mode, BAYESDL_QUICK=1:
// 300 training and 100 test digits; figures then mean little).
// Run: dotnet run --project BayesDL.Cli -- script scripts/posthoc.csx
using System.Diagnostics;
using BayesDL.Networks;
using BayesDL.Posthoc;
using BayesDL.Swag;

var policy = ComputePolicy.Cpu;
var train = Mnist.LoadSubset("train").Take(Quick ? 300 : 8000);
var test = Mnist.LoadSubset("test").Take(Quick ? 100 : 2000);
var declaration = ModelBuilder.Sequential().Linear(784, 200).Relu().Linear(200, 10).WithLikelihood(Likelihoods.Categorical());
int passes = Quick ? 3 : 5;
var clock = Stopwatch.StartNew();
double Seconds() { double s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }

var map = declaration.FitEnsemble(train, new EnsembleFitOptions(Members: 1, Epochs: passes, BatchSize: 128, LearningRate: 1e-3, Seed: 1),
    policy).Ensemble;
double mapSeconds = Seconds();

var net = map.Members[0];
var untuned = declaration.Laplace(net).LastLayer().Kron().Glm().PriorPrecision(1.0).Fit(train);
double untunedSeconds = Seconds();
var tuned = declaration.Laplace(net).LastLayer().Kron().Glm().TunePrior().Fit(train);
double tunedSeconds = Seconds();
var monteCarlo = declaration.Laplace(net).LastLayer().Kron().Glm(GlmLink.MonteCarlo).TunePrior().Fit(train);
double monteCarloSeconds = Seconds();

var theta = FunctionalNetwork.From(net, new long[] { 784 }, PriorSpec.Normal(0.0, 1.0)).Pack(net);
var swagOptions = new SwagOptions(Rank: Quick ? 2 : 20, Epochs: Quick ? 2 : passes, BurnInEpochs: 0, SnapshotsPerEpoch: 4,
    LearningRate: 0.01, Seed: 1);
var swag = declaration.FitSwag(train, swagOptions, policy, theta);
double swagSeconds = Seconds();

Console.WriteLine($"{"method",-44} {"accuracy",9} {"NLL",8} {"ECE",8} {"seconds",9}");
void Row(string name, double seconds, PredictiveSamples p)
{
    var s = PredictiveScores.Compute(p, test.Targets);
    Console.WriteLine($"{name,-44} {s.Accuracy,9:F4} {s.NegativeLogLikelihood,8:F4} {s.ExpectedCalibrationError,8:F4} {seconds,9:F1}");
}
Row("MAP (training)", mapSeconds, map.Predict(test.Inputs));
Row("Laplace, last layer KFAC, delta = 1", untunedSeconds, untuned.Predict(test.Inputs));
Row($"Laplace, last layer KFAC, tuned delta = {tuned.PriorPrecision[0]:G3}", tunedSeconds, tuned.Predict(test.Inputs));
Row("  the same, Monte Carlo link (100 draws of f)", monteCarloSeconds, monteCarlo.Predict(test.Inputs));
Row($"SWAG (rank {swagOptions.Rank}, 30 draws)", swagSeconds, swag.Predict(test.Inputs, 30));
Console.WriteLine($"log evidence: {untuned.LogEvidence:F1} untuned, {tuned.LogEvidence:F1} tuned");
