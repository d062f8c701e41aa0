// "I am not really sure": MC dropout (Gal & Ghahramani 2016). A dropout MLP trained on MNIST keeps dropout on at
// test time; T stochastic passes give a predictive distribution whose entropy and mutual information (BALD) grow
// as the test digits are rotated away from anything seen in training. Writes artifacts/scripts/mc-dropout-csx.png.
// Run: dotnet run --project BayesDL.Cli -- script scripts/mc-dropout.csx
using static TorchSharp.torch;

var policy = ComputePolicy.Cpu;
NativeEngine.Seed(2026);
string dataDir = Relative("../data");
var train = Mnist.LoadSubset("train", dataDir, policy);
var test = Mnist.LoadSubset("test", dataDir, policy);
LabeledData Rows(long n, LabeledData d) => new(d.Inputs.narrow(0, 0, n), d.Targets.narrow(0, 0, n));
var trainSet = Quick ? Rows(1000, train) : train;
var testSet = Rows(Quick ? 200 : 1000, test);
int samples = Quick ? 10 : 100;

// With the length-scale prior (weight decay l^2 (1 - p) / (2N)); the benchmarks add Alpha: 0.5, TrainingMasks: 10.
var fit = ModelBuilder.Sequential()
    .Linear(784, 256).Relu().Linear(256, 10)
    .WithLikelihood(Likelihoods.Categorical())
    .WithVariational(VariationalFamily.Dropout(0.5))
    .FitMCDropout(trainSet, new MCDropoutFitOptions(Epochs: Quick ? 1 : 5, LearningRate: 1e-3, LengthScale: 1.5), policy);
Console.WriteLine($"trained {fit.Epochs.Count} epochs in {fit.Epochs.Sum(e => e.Seconds):F1} s, last mean " +
    $"loss {fit.Epochs[^1].MeanLoss:F3}");

double Mean(Tensor t) => t.mean().item<float>();
double[] angles = { 0, 30, 60, 90, 120, 150, 180 };
var entropy = new List<double>();
var mutualInformation = new List<double>();
Console.WriteLine($"{"angle",8} {"accuracy",10} {"entropy",12} {"mutual inf.",12}");
foreach (double angle in angles)
{
    using var scope = NewDisposeScope();
    using var p = fit.Model.Predict(ImageRotation.Rotate(testSet.Inputs, angle), samples);
    double accuracy = Mean(p.PredictedClass().eq(testSet.Targets).to_type(ScalarType.Float32));
    entropy.Add(Mean(p.PredictiveEntropy()));
    mutualInformation.Add(Mean(p.MutualInformation()));
    Console.WriteLine($"{angle,8:F0} {accuracy,10:F3} {entropy[^1],12:F3} {mutualInformation[^1],12:F3}");
}

// One digit, upright and on its side: the network's confidence and its doubt.
foreach (double angle in new[] { 0.0, 90.0 })
{
    using var p = fit.Model.Predict(ImageRotation.Rotate(testSet.Inputs.narrow(0, 0, 1), angle), samples);
    var probs = p.Mean().squeeze(0);
    long best = probs.argmax().item<long>();
    Console.WriteLine($"digit {testSet.Targets[0].item<long>()} at {angle,3:F0} deg: predicts {best} with p = " +
        $"{probs[best].item<float>():F2}, " +
                      $"entropy {Mean(p.PredictiveEntropy()):F2} nats, mutual information {Mean(p.MutualInformation()):F2}");
}

var plot = new ScottPlot.Plot();
plot.Add.ScatterLine(angles, entropy.ToArray()).LegendText = "predictive entropy";
plot.Add.ScatterLine(angles, mutualInformation.ToArray()).LegendText = "mutual information (epistemic)";
plot.Title("MC dropout on rotated MNIST digits");
plot.XLabel("rotation (degrees)");
plot.YLabel("nats");
plot.ShowLegend();
string png = Artifact("mc-dropout-csx.png");
plot.SavePng(png, 800, 500);
Console.WriteLine($"wrote {png}");
