using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Mcmc;
using BayesDL.Networks;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Swag;
using BayesDL.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// What the posthoc and shift workloads share for the posteriors of a trained network: the MAP network 784-400-400-10 trained
/// through the one training core (<see cref="Trainer"/> on the per-example negative log posterior, the Gaussian prior as weight
/// decay), and the settings of last-layer KFAC Laplace, SWAG, MultiSWAG and cyclical SGHMC, each fitted by the library's own fit
/// (<c>LaplacePosterior.Fit</c>, <c>FitSwag</c>, <c>FitMultiSwag</c>, <c>FitSgmcmc</c>). Chosen before any test figure was
/// seen (the SWAG and SG-MCMC settings are those of docs/sgmcmc-and-swag.md, scaled to the wider network); nothing here is
/// tuned on a test split.
/// </summary>
internal static class PosthocRecipes
{
    /// <summary>
    /// The prior's sd s: p(θ) = N(0, s² I) on every weight and bias, the prior precision λ = 1 / s². MAP's weight decay, the
    /// prior of SWAG's and SG-MCMC's loss, and the untuned Laplace prior precision.
    /// </summary>
    public const double PriorScale = 1.0;

    /// <summary>λ = 1 / s², the prior precision.</summary>
    public static double PriorPrecision => 1 / (PriorScale * PriorScale);

    /// <summary>The Adam step size, minibatch size and seed of the MAP network.</summary>
    public const double MapLearningRate = 1e-3;

    /// <summary>Rows per minibatch of the MAP network, SWAG and SG-MCMC.</summary>
    public const int MapBatchSize = 128;

    /// <summary>The declaration every posterior of this file shares: MLP 784-400-400-10, categorical likelihood, prior N(0, s²).</summary>
    public static SequentialBuilder Declaration() =>
        ModelBuilder.Sequential().Linear(784, 400).Relu().Linear(400, 400).Relu().Linear(400, 10)
            .WithLikelihood(Likelihoods.Categorical()).WithPrior(Priors.Normal(0, PriorScale));

    /// <summary>
    /// The MAP network: the declaration's network (engine seeded with <paramref name="seed"/>) trained by the one training core
    /// (<see cref="Trainer"/>'s fit of a caller's loss over parameters, Adam 1e-3, batch 128) on the per-example negative log posterior
    /// L = −(1/B) Σ_i log p(y_i | f_θ(x_i)) + λ / (2N) ‖θ‖², i.e. weight decay λ / N on the mean loss: the Gaussian prior
    /// N(0, λ⁻¹ I) (up to its constant, the same prior SWAG and SG-MCMC use). Returned in evaluation mode.
    /// </summary>
    public static Sequential TrainMap(SequentialBuilder declaration, LabeledData data, int epochs, long seed, BenchOptions options)
    {
        NativeEngine.Seed(seed);
        var network = declaration.BuildNetwork(ComputePolicy.Cpu);
        var likelihood = Likelihood.FromSpec(declaration.Likelihood);
        var parameters = network.parameters().ToList();
        Tensor x = data.Inputs, y = data.Targets;
        double decay = 0.5 * PriorPrecision / data.Count;
        network.train();
        new Trainer(new TrainerOptions(epochs, MapBatchSize, OptimizerKind.Adam, MapLearningRate, seed)).Fit(parameters, data.Count,
            (rows, _) =>
            {
                Tensor nll = likelihood.LogLikelihood(network.forward(x.index_select(0, rows)), y.index_select(0, rows)).mean().neg();
                Tensor squares = parameters.Select(p => p.square().sum()).Aggregate((a, b) => a + b);
                return nll + decay * squares;
            },
            onEpoch: e => options.Progress($"map epoch {e.Epoch}/{epochs}: loss {e.MeanLoss:F4} ({e.Seconds:F1} s)"));
        network.eval();
        return network;
    }

    /// <summary>A trained network of <see cref="Declaration"/> as one flat weight vector θ [D] (SWAG's and SG-MCMC's start).</summary>
    public static Tensor Pack(SequentialBuilder declaration, Sequential network) =>
        FunctionalNetwork.From(network, [784L], declaration.Prior).Pack(network);

    /// <summary>The MAP network's predictive (one sample): a deep ensemble of one member.</summary>
    public static DeepEnsemble MapPredictor(SequentialBuilder declaration, Sequential network) =>
        new([network], Likelihood.FromSpec(declaration.Likelihood));

    /// <summary>
    /// Last-layer KFAC Laplace with the GLM predictive (<paramref name="link"/>: the probit approximation, the library's default,
    /// or Monte Carlo over f with 100 draws), the prior precision starting at λ and, with <paramref name="tune"/>, tuned by the
    /// Laplace evidence on the training data; <paramref name="seed"/> seeds the Monte Carlo draws.
    /// </summary>
    public static LaplaceOptions LastLayerKfac(GlmLink link, bool tune, long seed = 1) =>
        new(LaplaceSubset.LastLayer, HessianStructure.Kron, LaplacePredictiveKind.Glm, link, PriorPrecision, TunePrior: tune,
            Seed: seed);

    /// <summary>All-weights diagonal Laplace, GLM probit, evidence-tuned prior precision.</summary>
    public static LaplaceOptions AllWeightsDiagonal() =>
        new(LaplaceSubset.AllWeights, HessianStructure.Diagonal, LaplacePredictiveKind.Glm, GlmLink.Probit, PriorPrecision,
            TunePrior: true, Seed: 1);

    /// <summary>
    /// SWAG from the MAP weights (Maddox et al. 2019): SGD with Nesterov momentum at the constant rate 0.01, 10 epochs (quick: 2),
    /// 4 snapshots per epoch after one burn-in epoch (quick: none), rank K = 20 (quick: 2); <paramref name="seed"/> seeds the
    /// minibatches and the weight draws.
    /// </summary>
    public static SwagOptions Swag(bool quick, long seed = 1) => quick
        ? new SwagOptions(Rank: 2, Epochs: 2, BurnInEpochs: 0, BatchSize: MapBatchSize, LearningRate: 0.01, SnapshotsPerEpoch: 2,
            Seed: seed)
        : new SwagOptions(Rank: 20, Epochs: 10, BurnInEpochs: 1, BatchSize: MapBatchSize, LearningRate: 0.01, SnapshotsPerEpoch: 4,
            Seed: seed);

    /// <summary>
    /// MultiSWAG (Wilson &amp; Izmailov 2020): 3 SWAG posteriors, each from its own initialisation (the ensemble's networks), SGD with
    /// momentum at 0.05 for 8 burn-in epochs, then 6 collecting 4 snapshots each, rank 20 (quick: 2 epochs, one burn-in, rank 2);
    /// <paramref name="seed"/> seeds the members' initialisations, minibatches and weight draws.
    /// </summary>
    public static SwagOptions MultiSwag(bool quick, long seed = 1) => quick
        ? new SwagOptions(Rank: 2, Epochs: 2, BurnInEpochs: 1, BatchSize: MapBatchSize, LearningRate: 0.05, SnapshotsPerEpoch: 2,
            Seed: seed)
        : new SwagOptions(Rank: 20, Epochs: 14, BurnInEpochs: 8, BatchSize: MapBatchSize, LearningRate: 0.05, SnapshotsPerEpoch: 4,
            Seed: seed);

    /// <summary>The MultiSWAG members.</summary>
    public const int MultiSwagMembers = 3;

    /// <summary>Weight draws of the SWAG and MultiSWAG predictives (quick: 10).</summary>
    public static int SwagDraws(bool quick) => quick ? 10 : 30;

    /// <summary>
    /// Cyclical SGHMC (Zhang et al. 2020) from the MAP weights at temperature 1 (the Bayes posterior): 12 epochs (quick: 2) in 4
    /// cycles (quick: 2), the first half of each exploring, step size η = 0.05 / N (0.05 per example), friction 0.1, every 5th
    /// sampling step kept (quick: every step); <paramref name="seed"/> seeds the minibatches and the injected noise.
    /// </summary>
    public static SgmcmcOptions CyclicalSghmc(long rows, bool quick, long seed = 1) =>
        new(SgmcmcKind.Sghmc, Epochs: quick ? 2 : 12, BatchSize: MapBatchSize, StepSize: 0.05 / rows, BurnInEpochs: 0,
            Thinning: quick ? 1 : 5, Temperature: 1, Friction: 0.1, Cycles: quick ? 2 : 4, ExplorationFraction: 0.5, Seed: seed);
}

/// <summary>An <see cref="IStochasticPredictor"/> from a function (e.g. a temperature-scaled predictive).</summary>
internal sealed class DelegatePredictor(Func<Tensor, int, PredictiveSamples> predict) : IStochasticPredictor
{
    public PredictiveSamples Predict(Tensor inputs, int samples) => predict(inputs, samples);
}
