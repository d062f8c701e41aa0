using BayesDL.Data;
using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Networks;
using BayesDL.Predictive;
using BayesDL.Training;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// K independent MC dropout fits of one architecture trained as one batched computation (what
/// <see cref="SequentialBuilder.FitMCDropoutReplicas"/> runs). Replica k has weights stacked at index k of each parameter
/// ([K, ..shape]), its own rows, dropout rates and noise; per step the layers' functional forms (<see cref="LayerKinds"/>, batched
/// over the leading replica dimension) and per-replica dropout masks give every replica's outputs at once, and the loss is
/// Σ_k L_k, the sum of the replicas' <see cref="BuiltModel.FitMCDropout"/> losses
/// L_k = −(1/B) Σ_n log N(y_kn | f_k(x_kn, ω_kn), σ_k²) + Σ_i λ_ik (‖W_ik‖² + ‖b_ik‖²), λ_ik = l² (1 − p_ik) / (2N)
/// (<see cref="MCDropoutPrior"/>). No term couples two replicas, so each replica's gradient, and Adam's element-wise step, are
/// those of its own fit: the fits differ from separate ones only in their random streams. Small networks gain the most: a step
/// costs the engine's fixed per-operation overhead once instead of K times.
/// </summary>
internal sealed class MCDropoutReplicaFit : IDisposable
{
    const string Who = nameof(SequentialBuilder) + "." + nameof(SequentialBuilder.FitMCDropoutReplicas);

    /// <summary>One layer position: a dropout mask with per-replica keep probabilities [K], or a functional layer.</summary>
    sealed record Stage(Tensor? Keep, FunctionalLayer? Layer, Parameter[] Weights, Tensor? PriorCoefficients);

    readonly Stage[] _stages;
    readonly Tensor _inputs, _targets, _noise;
    readonly long _rows;

    /// <summary>
    /// Tests only: the masks (layer position, shape [K, B, ..], per-replica keep [K, 1, ..]) -&gt; 0/1 mask, instead of random ones.
    /// </summary>
    internal Func<int, long[], Tensor, Tensor>? MaskSource { get; set; }

    MCDropoutReplicaFit(Stage[] stages, Tensor inputs, Tensor targets, Tensor noise, long rows) =>
        (_stages, _inputs, _targets, _noise, _rows) = (stages, inputs, targets, noise, rows);

    /// <summary>All trainable tensors, stacked over the replicas.</summary>
    internal IEnumerable<Parameter> Parameters => _stages.SelectMany(s => s.Weights);

    /// <summary>
    /// Validates the replicas and <paramref name="options"/>, builds each model (replica k's initial weights drawn after seeding the
    /// engine with Seed + k) and stacks their weights and data. Replica k's rows are put in the order of a permutation of its own
    /// (<see cref="RowOrder"/>), so replicas whose data sets overlap (splits of one table) do not see the same minibatches.
    /// Throws <see cref="ArgumentException"/> naming the replica and what differs.
    /// </summary>
    internal static (MCDropoutReplicaFit Fit, BuiltModel[] Models) Create(IReadOnlyList<MCDropoutReplica> replicas,
        MCDropoutFitOptions options, ComputePolicy policy)
    {
        Check.Argument(replicas.Count > 0, Who, nameof(replicas), "no replicas", "at least one (model, data) pair");
        Check.Argument(options.Alpha is null, Who, "options.Alpha", $"{options.Alpha}", "null (the plain dropout loss)",
            "Replicated fits train the plain dropout loss; fit α-divergence models one at a time with FitMCDropout.");
        Check.Argument(options.Checkpoint is null, Who, "options.Checkpoint", "a checkpoint", "null",
            "Replicated fits are not checkpointed; fit one model at a time with FitMCDropout to checkpoint it.");
        for (int k = 0; k < replicas.Count; k++)
        {
            var (model, data) = replicas[k];
            BuildException.ThrowIfAny($"replica {k}", [.. model.Validate(), .. model.ValidateMCDropoutFit(options)]);
            Check.Positive(data.Count, Who, $"replicas[{k}].Data");
            Check.Argument(data.Count == replicas[0].Data.Count && data.Inputs.shape[1..].SequenceEqual(replicas[0].Data.Inputs.shape[1..])
                           && data.Targets.shape[1..].SequenceEqual(replicas[0].Data.Targets.shape[1..]), Who, $"replicas[{k}].Data",
                $"{data.Count} rows of inputs {Check.Shape(data.Inputs.shape[1..])} and targets {Check.Shape(data.Targets.shape[1..])}",
                $"replica 0's {replicas[0].Data.Count} rows of inputs {Check.Shape(replicas[0].Data.Inputs.shape[1..])} and targets " +
                Check.Shape(replicas[0].Data.Targets.shape[1..]), "Give every replica as many rows (e.g. carve equal parts).");
        }
        var models = new List<BuiltModel>();
        try
        {
            for (int k = 0; k < replicas.Count; k++)
            {
                NativeEngine.Seed(options.Seed + k);
                models.Add(replicas[k].Model.Build(policy));
            }
            return (Stack(models, replicas, options), models.ToArray());
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
    }

    static MCDropoutReplicaFit Stack(List<BuiltModel> models, IReadOnlyList<MCDropoutReplica> replicas, MCDropoutFitOptions options)
    {
        int count = models.Count;
        long rows = replicas[0].Data.Count;
        var bodies = models.Select(m => m.Network.Body.named_children().Select(c => c.module).ToArray()).ToArray();
        var noise = new double[count];
        for (int k = 0; k < count; k++)
        {
            Check.Argument(models[k].Network.Likelihood is GaussianLikelihood { Noise: GaussianNoise.Fixed }, Who,
                $"replicas[{k}].Model", $"a {models[k].Network.Likelihood.GetType().Name}", "a Gaussian likelihood with fixed noise",
                "Declare WithLikelihood(Likelihoods.Gaussian(sigma)) (F#: `likelihood (gaussianWith sigma)`).");
            noise[k] = ((GaussianLikelihood)models[k].Network.Likelihood).NoiseSigma;
            Check.Argument(bodies[k].Length == bodies[0].Length
                           && bodies[k].Zip(bodies[0]).All(p => p.First.GetType() == p.Second.GetType()), Who, $"replicas[{k}].Model",
                string.Join(", ", bodies[k].Select(m => m.GetType().Name)),
                "replica 0's layers: " + string.Join(", ", bodies[0].Select(m => m.GetType().Name)),
                "Replicas share one architecture; their dropout rates, noise and data may differ.");
        }
        var priors = options.LengthScale is double l
            ? models.Select(m => MCDropoutPrior.WeightLayers(m.Network.Body)
                .ToDictionary(w => w.Layer, w => new MCDropoutPrior(l, rows).Coefficient(w.DropProbability)))
                .ToArray()
            : null;
        var first = models[0].Network.parameters().First();
        var (dtype, device) = (first.dtype, first.device);
        var stages = new List<Stage>();
        for (int i = 0; i < bodies[0].Length; i++)
        {
            var module = bodies[0][i];
            if (module is MonteCarloDropoutLayer)
            {
                Check.Argument(module is MCDropout, Who, $"replicas[0].Model layer {i}", module.GetType().Name,
                    "MC dropout of units (MCDropout)", "Spatial dropout is not replicated; fit such models one at a time.");
                var keep = tensor(bodies.Select(b => 1 - ((MonteCarloDropoutLayer)b[i]).P).ToArray(), dtype: dtype, device: device);
                stages.Add(new(keep, null, [], null));
                continue;
            }
            var layers = bodies.Select(b => LayerKinds.For(b[i])?.Functional(b[i])).ToArray();
            if (layers.Any(f => f is null))
                throw Check.Error(Who, "replicas[0].Model", $"layer {i} of type {module.GetType().Name}",
                    "dense layers, activations and MC dropout", "Replicated fits run plain multilayer perceptrons.");
            string Shapes(FunctionalLayer? f) => string.Join(", ", f!.Parameters.Select(w => Check.Shape(w.Shape)));
            for (int k = 1; k < count; k++)
                Check.Argument(Shapes(layers[k]) == Shapes(layers[0]), Who, $"replicas[{k}].Model",
                    $"layer {i} with weights {Shapes(layers[k])}", $"replica 0's {Shapes(layers[0])}",
                    "Replicas share one architecture; their dropout rates, noise and data may differ.");
            var weights = Enumerable.Range(0, layers[0]!.Parameters.Count).Select(j =>
            {
                using var noGrad = no_grad();
                return new Parameter(stack(layers.Select(f => f!.Parameters[j].Value.detach()).ToArray()).contiguous());
            }).ToArray();
            Tensor? coefficients = priors is null || weights.Length == 0
                ? null
                : tensor(priors.Select((p, k) => p.TryGetValue(bodies[k][i], out double c) ? c : 0.0).ToArray(),
                    dtype: dtype, device: device);
            stages.Add(new(null, layers[0], weights, coefficients));
        }
        Tensor inputs, targets;
        using (var scope = NewDisposeScope())
        {
            var ordered = replicas.Select((r, k) =>
            {
                Tensor order = RowOrder(options.Seed, k, rows).to(r.Data.Inputs.device);
                return (X: r.Data.Inputs.index_select(0, order).to(dtype, device),
                        Y: r.Data.Targets.index_select(0, order).to(dtype, device));
            }).ToArray();
            inputs = stack(ordered.Select(o => o.X).ToArray()).MoveToOuterDisposeScope();
            targets = stack(ordered.Select(o => o.Y).ToArray()).MoveToOuterDisposeScope();
        }
        long[] noiseShape = [count, .. Enumerable.Repeat(1L, (int)replicas[0].Data.Targets.dim())];
        return new([.. stages], inputs, targets, tensor(noise, noiseShape, dtype: dtype, device: device), rows);
    }

    /// <summary>Replica k's fixed row permutation: randperm(N) from a CPU generator seeded with s · 1,000,003 + 7,919 k + 1.</summary>
    internal static Tensor RowOrder(long seed, int replica, long rows)
    {
        using var generator = new Generator((ulong)(seed * 1_000_003 + 7_919L * replica + 1), CPU);
        return randperm(rows, generator: generator);
    }

    /// <summary>Σ_k L_k on the minibatch of row positions <paramref name="rows"/> (see the class summary).</summary>
    internal Tensor Loss(Tensor rows)
    {
        Tensor h = _inputs.index_select(1, rows), y = _targets.index_select(1, rows);
        Tensor? penalty = null;
        for (int i = 0; i < _stages.Length; i++)
        {
            var stage = _stages[i];
            if (stage.Keep is Tensor keepRates)
            {
                Tensor keep = keepRates.view([keepRates.shape[0], .. Enumerable.Repeat(1L, (int)h.dim() - 1)]);
                Tensor mask = MaskSource?.Invoke(i, h.shape, keep) ?? rand(h.shape, dtype: h.dtype, device: h.device).lt(keep);
                h = h * mask.to(h.dtype) / keep;
                continue;
            }
            h = stage.Layer!.Forward(h, stage.Weights);
            if (stage.PriorCoefficients is Tensor c)
            {
                Tensor squares = stage.Weights.Select(w => w.square().flatten(1).sum(1)).Aggregate((a, b) => a + b);
                Tensor term = c.dot(squares);
                penalty = penalty is null ? term : penalty + term;
            }
        }
        long count = h.shape[0], batch = h.shape[1];
        Tensor logLikelihood = Dist.Normal(h, _noise, validate: false).LogProb(y).view(count, batch, -1L).sum(2L).mean([1L]);
        Tensor loss = logLikelihood.sum().neg();
        return penalty is null ? loss : loss + penalty;
    }

    /// <summary>Trains with the Trainer under <paramref name="options"/>' epochs, batch, step size and seed.</summary>
    internal IReadOnlyList<EpochReport> Train(MCDropoutFitOptions options) =>
        new Trainer(new TrainerOptions(options.Epochs, options.BatchSize, LearningRate: options.LearningRate, Seed: options.Seed))
            .Fit(Parameters, _rows, (rows, _) => Loss(rows));

    /// <summary>Frees the stacked weights, data and settings (the models keep their own copies).</summary>
    public void Dispose()
    {
        foreach (var stage in _stages)
        {
            stage.Keep?.Dispose();
            stage.PriorCoefficients?.Dispose();
            foreach (var w in stage.Weights) w.Dispose();
        }
        _inputs.Dispose();
        _targets.Dispose();
        _noise.Dispose();
    }

    /// <summary>Copies replica k's slice of every stacked weight into <paramref name="models"/>[k]'s own parameters.</summary>
    internal void CopyInto(IReadOnlyList<BuiltModel> models)
    {
        using var noGrad = no_grad();
        for (int k = 0; k < models.Count; k++)
        {
            var body = models[k].Network.Body.named_children().Select(c => c.module).ToArray();
            for (int i = 0; i < _stages.Length; i++)
            {
                if (_stages[i].Weights.Length == 0) continue;
                var own = LayerKinds.For(body[i])!.Functional(body[i])!.Parameters;
                for (int j = 0; j < own.Count; j++) own[j].Value.copy_(_stages[i].Weights[j][k]);
            }
        }
    }
}
