// The other models of the course declared in a few lines each with the C# builder: a deep ensemble on a 1-D
// heteroscedastic regression (Lakshminarayanan et al. 2017), a conditional VAE that draws the digit it is asked for
// (Sohn et al. 2015), and M2 learning a classifier from a few labels and many unlabelled digits (Kingma et al. 2014).
// Writes artifacts/scripts/model-zoo-cvae-csx.png. --quick (or BAYESDL_QUICK=1) trains on small subsets for one or two epochs.
// Run: dotnet run --project BayesDL.Cli -- script scripts/model-zoo.csx
using static TorchSharp.torch;

var policy = ComputePolicy.Cpu;

// 1. Deep ensemble: y = x^3 + noise on [-4, 4]; the members agree where there are data and disagree beyond.
NativeEngine.Seed(1);
var xs = rand(200, 1) * 8f - 4f;
var toy = new LabeledData(xs, xs.pow(3) / 10 + 0.3 * randn_like(xs));
var deep = ModelBuilder.Sequential().Linear(1, 50).Relu().Linear(50, 2)
    .WithLikelihood(Likelihoods.Heteroscedastic())
    .FitEnsemble(toy, new EnsembleFitOptions(Members: Quick ? 3 : 5, Epochs: Quick ? 20 : 200, BatchSize: 32, LearningRate: 0.01), policy);
var probe = tensor(new[] { -2f, 0f, 2f, 6f }).unsqueeze(1);
var p = deep.Ensemble.Predict(probe);
Console.WriteLine($"ensemble of {p.SampleCount}: epistemic std at x = -2, 0, 2 (data) and 6 (none): " +
    string.Join(", ", p.EpistemicVariance().sqrt().data<float>().ToArray().Select(v => v.ToString("F3"))));

// 2. Conditional VAE on MNIST: the encoder reads [x, one-hot y], the decoder [z, one-hot y].
var train = Mnist.LoadSubset("train", Relative("../data"), policy).Take(Quick ? 1000 : 8000);
var test = Mnist.LoadSubset("test", Relative("../data"), policy).Take(Quick ? 300 : 2000);
var digits = ModelBuilder.Vae(ModelBuilder.Sequential().Linear(794, 400).Relu(),
        ModelBuilder.Sequential().Linear(12, 400).Relu().Linear(400, 784), latent: 2)
    .Conditional(classes: 10).Fit(train, new VariationalFitOptions(Epochs: Quick ? 1 : 10, Seed: 1), policy);
Console.WriteLine($"cvae: loss per epoch {string.Join(", ", digits.EpochLosses.Select(l => l.ToString("F1")))} nats/image");
using (no_grad())
{
    var asked = arange(10).repeat_interleave(8);
    Console.WriteLine("wrote " + ImageGrid.Save(digits.Model.Generate(asked), 8, Artifact("model-zoo-cvae-csx.png"),
        title: "CVAE: row d = samples asked for digit d"));
}

// 3. M2: 10 (quick) or 100 labels per class, the other training digits unlabelled.
int perClass = Quick ? 10 : 100;
long[] ys = train.Targets.data<long>().ToArray();
long[] labelledRows = Enumerable.Range(0, 10).SelectMany(c => Enumerable.Range(0, ys.Length).Where(i => ys[i] == c).Take(perClass))
    .Select(i => (long)i).ToArray();
long[] unlabelledRows = Enumerable.Range(0, ys.Length).Select(i => (long)i).Except(labelledRows).ToArray();
var labelled = new LabeledData(train.Inputs.index_select(0, tensor(labelledRows)), train.Targets.index_select(0, tensor(labelledRows)));
var semi = ModelBuilder.Vae(ModelBuilder.Sequential().Linear(794, 400).Relu(),
        ModelBuilder.Sequential().Linear(60, 400).Relu().Linear(400, 784), latent: 50)
    .Conditional(10).SemiSupervised(ModelBuilder.Sequential().Linear(784, 400).Relu().Linear(400, 10))
    .Fit(labelled, train.Inputs.index_select(0, tensor(unlabelledRows)),
    new VariationalFitOptions(Epochs: Quick ? 1 : 10, Seed: 1), policy);
double accuracy = semi.Model.Predict(test.Inputs).eq(test.Targets).to_type(ScalarType.Float32).mean().item<float>();
Console.WriteLine($"m2: {labelled.Count} labelled, {unlabelledRows.Length} unlabelled; loss per epoch " +
    $"{string.Join(", ", semi.EpochLosses.Select(l => l.ToString("F1")))}; test accuracy {accuracy:F3}");
