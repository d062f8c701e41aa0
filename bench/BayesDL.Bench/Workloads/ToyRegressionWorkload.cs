using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Training;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// The toy regression of Hernandez-Lobato &amp; Adams (2015): 20 points x ~ U[-4, 4], y = x^3 + e, e ~ N(0, 3^2),
/// fitted by a 1-100-1 ReLU Bayes-by-Backprop network (N(0, 1) prior, local reparameterization) with the known
/// noise sigma = 3, on standardised x and y. Reports the predictive std at |x| = 6 over its mean on [-4, 4]
/// (target &gt;= 3) and the coverage of the 95% predictive interval on 1,000 fresh points (target &gt;= 0.90).
/// </summary>
public sealed class ToyRegressionWorkload : IWorkload
{
    public string Name => "toy-regression";
    public string Description => "BBB 1-100-1 on y = x^3 + N(0, 9), 20 points: std ratio outside the data and 95% coverage";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        var policy = ComputePolicy.Cpu;
        NativeEngine.Seed(7);
        using var scope = NewDisposeScope();
        var (x, y) = Draw(20, policy);
        double xScale = 4.0, yScale = y.std().item<float>();
        const double noise = 3.0;
        var model = BayesianNetwork.Create(Likelihood.Gaussian(GaussianNoise.Fixed, noise / yScale),
            BayesNN.BayesLinear(1, 100, new BayesLayerOptions(InitialRho: -5)), nn.ReLU(),
            BayesNN.BayesLinear(100, 1, new BayesLayerOptions(InitialRho: -5)));
        using var train = new LabeledData(x / xScale, y / yScale);
        int epochs = options.Quick ? 300 : 4000;
        var trainer = new Trainer(new TrainerOptions(Epochs: epochs, BatchSize: 20, LearningRate: 0.01, Seed: 7));
        var history = trainer.Fit(model, train, new ElboOptions(WeightSamples: 8),
            onEpoch: e => { if (e.Epoch % 500 == 0) options.Progress($"epoch {e.Epoch}: ELBO {e.Elbo:F2}, KL {e.KL:F1}"); });

        const int samples = 500;
        Tensor Std(Tensor inputs)
        {
            using var p = model.Predict(inputs / xScale, samples);
            return p.TotalVariance().sqrt().squeeze(1) * yScale;
        }
        Tensor grid = linspace(-4, 4, 81).unsqueeze(1);
        double insideStd = Std(grid).mean().item<float>();
        double outsideStd = Std(tensor(new float[] { -6, 6 }).unsqueeze(1)).mean().item<float>();

        var (fx, fy) = Draw(1000, policy);
        using var fresh = model.Predict(fx / xScale, samples);
        Tensor mean = fresh.Mean() * yScale, std = fresh.TotalVariance().sqrt() * yScale;
        double coverage = (fy - mean).abs().le(1.96 * std).to(ScalarType.Float64).mean().item<double>();
        options.Progress($"std inside {insideStd:F2}, at |x| = 6 {outsideStd:F2}, coverage {coverage:F3}");
        return new Dictionary<string, object>
        {
            ["std_ratio_outside"] = Math.Round(outsideStd / insideStd, 3),
            ["coverage95"] = Math.Round(coverage, 4),
            ["std_inside_mean"] = Math.Round(insideStd, 3),
            ["std_at_abs_x6"] = Math.Round(outsideStd, 3),
            ["epochs"] = epochs,
            ["final_elbo"] = Math.Round(history[^1].Elbo, 3),
        };
    }

    static (Tensor X, Tensor Y) Draw(int n, ComputePolicy policy)
    {
        Tensor x = policy.Apply(rand(n, 1) * 8 - 4);
        return (x, x.pow(3) + 3.0 * randn_like(x));
    }
}
