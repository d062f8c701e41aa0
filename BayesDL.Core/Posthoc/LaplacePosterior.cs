using BayesDL.Data;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// The post-hoc Laplace approximation of a trained network (MacKay 1992; Ritter et al. 2018; Immer et al. 2021; Daxberger et al.
/// 2021, "Laplace Redux"): around the trained weights theta* (taken as the MAP), p(theta | D) ≈ N(theta*, P^-1) over a subset of the
/// weights (<see cref="LaplaceSubset"/>), P = H / sigma^2 + diag(delta), with H the generalized Gauss-Newton matrix
/// sum_n J_n^T Lambda_n J_n of the likelihood (Lambda = I for a Gaussian likelihood with noise sd sigma; diag(p) - p p^T for a
/// categorical one, p = softmax(f)) in a <see cref="HessianStructure"/>, and p(theta) = N(0, diag(delta)^-1). The network is a
/// container of TorchSharp Linear layers and weightless layers (activations, Flatten), read through the layer-kind registry; its
/// weights are not changed. The log evidence is log p(D) ≈ log p(D | theta*) - 1/2 (log det P - log det diag(delta) +
/// theta*^T diag(delta) theta*) (<see cref="LogMarginalLikelihood"/>), exact for a linear model with a Gaussian likelihood at the
/// posterior mean; <see cref="Tune"/> maximises it over log delta (and log sigma). Predictives: the linearised (GLM) network or Monte
/// Carlo over the weights (<see cref="LaplacePredictiveKind"/>), both as <see cref="PredictiveSamples"/>. Owns its tensors.
/// </summary>
public sealed class LaplacePosterior : IStochasticPredictor, IDisposable
{
    const string Who = nameof(LaplacePosterior);
    readonly LaplaceNetwork _net;
    readonly nn.Module _network;
    readonly bool _ownsNetwork;
    readonly Curvature _curvature;
    readonly Tensor _theta, _subset;
    readonly double _fitTerm;
    Tensor _delta;
    double _s;

    LaplacePosterior(nn.Module network, bool ownsNetwork, LaplaceNetwork net, Curvature curvature, LaplaceOptions options,
        LikelihoodKind likelihood, long count, double fitTerm, double[] delta, double? sigma)
    {
        _network = network; _ownsNetwork = ownsNetwork; _net = net; _curvature = curvature; Options = options;
        LikelihoodKind = likelihood; Count = count; _fitTerm = fitTerm;
        var first = network.parameters().First();
        (DType, Device) = (first.dtype, first.device);
        _theta = net.Functional.Pack(network).DetachFromDisposeScope();
        using (var scope = NewDisposeScope())
            _subset = cat(net.Blocks.Select(b => _theta.narrow(0, b.Offset, b.Count)).ToArray()).to(ScalarType.Float64)
                .DetachFromDisposeScope();
        _delta = tensor(delta, dtype: ScalarType.Float64, device: Device).DetachFromDisposeScope();
        _s = sigma is double sd ? 1 / (sd * sd) : 1;
    }

    /// <summary>The settings it was fitted with.</summary>
    public LaplaceOptions Options { get; }

    /// <summary>Gaussian (regression) or Categorical (classification).</summary>
    public LikelihoodKind LikelihoodKind { get; }

    /// <summary>N, the training examples H was accumulated over.</summary>
    public long Count { get; }

    /// <summary>The dtype of the network (predictions come in it; the Hessian is float64).</summary>
    public ScalarType DType { get; }

    /// <summary>The device of the network.</summary>
    public Device Device { get; }

    /// <summary>The trained network the posterior is centred on (not a copy).</summary>
    public nn.Module Network => _network;

    /// <summary>The per-example input shape.</summary>
    public IReadOnlyList<long> InputShape => _net.InputShape;

    /// <summary>D, the number of random weights (the subset's).</summary>
    public long Dimension => _curvature.Dimension;

    /// <summary>theta*, all the network's weights [D_all] in <see cref="Networks.FunctionalNetwork"/>'s layout (owned: do not
    /// dispose).</summary>
    public Tensor MapWeights => _theta;

    /// <summary>The prior precision delta: one value, or one per dense layer of the subset.</summary>
    public IReadOnlyList<double> PriorPrecision => _delta.data<double>().ToArray();

    /// <summary>The Gaussian noise sd sigma; null for a classifier.</summary>
    public double? NoiseSigma => LikelihoodKind == LikelihoodKind.Gaussian ? 1 / Math.Sqrt(_s) : null;

    /// <summary>The names of the subset's dense layers, as the network names them.</summary>
    public IReadOnlyList<string> Layers => _net.Blocks.Select(b => b.Name).ToArray();

    /// <summary>The Laplace log evidence at the current prior precision and noise (<see cref="LogMarginalLikelihood"/>).</summary>
    public double LogEvidence => LogMarginalLikelihood();

    /// <summary>
    /// Fits the Laplace approximation of <paramref name="network"/> (its current weights taken as the MAP) on the training
    /// <paramref name="data"/> (inputs [N, ..input]; targets [N, C] real values for a Gaussian likelihood, [N] int64 classes for a
    /// categorical one). <paramref name="likelihood"/> is the model's: Gaussian with fixed or learned (homoscedastic) noise, whose
    /// current sigma is used, or Categorical. Checks the memory the Hessian needs before forming it (<see cref="LaplaceMemory"/>);
    /// tunes the prior (and noise) when the options ask. Throws <see cref="ArgumentException"/> naming the layer for a Bayesian,
    /// dropout or other unsupported layer, and for a Hessian over the memory budget.
    /// </summary>
    public static LaplacePosterior Fit(nn.Module network, Likelihood likelihood, LabeledData data, LaplaceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(likelihood);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new LaplaceOptions();
        options.Validate();
        var (kind, sigma) = Describe(likelihood);
        Check.Positive(data.Count, Who, nameof(data), "Pass the training data the network was fitted on.");
        var net = LaplaceNetwork.Read(network, data.Inputs.shape[1..], options.Subset);
        LaplaceMemory.Require(net.Blocks, options, options.MemoryBudgetBytes ?? LaplaceMemory.DefaultBudget);
        var first = network.parameters().First();
        var curvature = Curvature.Create(options.Hessian, net.Blocks, options.Rank, first.device);
        try
        {
            // The fit term comes from the first pass's outputs (the low-rank structure makes several passes).
            double? fitTerm = null;
            curvature.Fit(visit =>
            {
                double term = Pass(net, kind, data, options.BatchSize, first.dtype, first.device, visit);
                fitTerm ??= term;
            }, data.Count, options.Rank, options.Seed);
            int priors = options.PriorScope == PriorPrecisionScope.Global ? 1 : net.Blocks.Length;
            double[] delta = Enumerable.Repeat(options.PriorPrecision, priors).ToArray();
            var posterior = new LaplacePosterior(network, false, net, curvature, options, kind, data.Count, fitTerm!.Value, delta,
                sigma);
            if (options.TunePrior || (options.TuneNoise && kind == LikelihoodKind.Gaussian)) posterior.Tune();
            else posterior.Prepare();
            return posterior;
        }
        catch
        {
            curvature.Dispose();
            throw;
        }
    }

    /// <summary>
    /// log p(D | delta, sigma) ≈ log p(D | theta*, sigma) - 1/2 (log det P - sum_i log delta_i + sum_i delta_i theta*_i^2) over the
    /// subset, with P = H / sigma^2 + diag(delta) (Immer et al. 2021, eq. 4; MacKay 1992). With the Hessian held fixed at theta*, as
    /// laplace-torch does. <paramref name="priorPrecision"/>: one value or one per layer (default: the current ones);
    /// <paramref name="noiseSigma"/>: for a Gaussian likelihood (default: the current one).
    /// </summary>
    public double LogMarginalLikelihood(IReadOnlyList<double>? priorPrecision = null, double? noiseSigma = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor delta = priorPrecision is null ? _delta : tensor(priorPrecision.ToArray(), dtype: ScalarType.Float64, device: Device);
        Check.Argument(delta.shape[0] == 1 || delta.shape[0] == _net.Blocks.Length, Who, nameof(priorPrecision),
            $"{delta.shape[0]} values", $"one, or one per dense layer of the subset ({_net.Blocks.Length})");
        Check.Positive(delta, Who, nameof(priorPrecision));
        double s = noiseSigma is double sd ? 1 / (sd * sd) : _s;
        if (noiseSigma is double given) Check.Positive(given, Who, nameof(noiseSigma));
        return Evidence(delta, tensor(s, dtype: ScalarType.Float64, device: Device)).item<double>();
    }

    /// <summary>
    /// Maximises <see cref="LogMarginalLikelihood"/> over log delta (one or per layer, <see cref="LaplaceOptions.PriorScope"/>) and,
    /// for a Gaussian likelihood with <see cref="LaplaceOptions.TuneNoise"/>, over log sigma: <see cref="LaplaceOptions.TuneSteps"/>
    /// Adam steps of size <see cref="LaplaceOptions.TuneLearningRate"/> on the log parameters (Immer et al. 2021, sec. 3), the Hessian
    /// held at theta*. Keeps the values with the highest evidence seen and updates the posterior.
    /// </summary>
    public LaplaceTuning Tune()
    {
        double initial = LogEvidence;
        bool noise = Options.TuneNoise && LikelihoodKind == LikelihoodKind.Gaussian;
        using (var scope = NewDisposeScope())
        {
            var logDelta = new Parameter(_delta.log());
            var logS = new Parameter(tensor(Math.Log(_s), dtype: ScalarType.Float64, device: Device), requires_grad: noise);
            var parameters = noise ? new[] { logDelta, logS } : [logDelta];
            var optimizer = optim.Adam(parameters, lr: Options.TuneLearningRate);
            double best = initial;
            Tensor bestDelta = _delta.clone();
            double bestS = _s;
            for (int step = 0; step < Options.TuneSteps; step++)
            {
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                Tensor evidence = Evidence(logDelta.exp(), logS.exp());
                double value = evidence.item<double>();
                if (double.IsFinite(value) && value > best)
                {
                    best = value;
                    bestDelta = logDelta.detach().exp().MoveToOuterDisposeScope();
                    bestS = Math.Exp(logS.item<double>());
                }
                (-evidence).backward();
                optimizer.step();
            }
            using (no_grad())
            {
                double last = Evidence(logDelta.exp(), logS.exp()).item<double>();
                if (double.IsFinite(last) && last > best) { bestDelta = logDelta.detach().exp(); bestS = Math.Exp(logS.item<double>()); }
            }
            _delta.Dispose();
            _delta = bestDelta.clone().DetachFromDisposeScope();
            _s = bestS;
        }
        Prepare();
        return new LaplaceTuning(initial, LogEvidence, PriorPrecision, NoiseSigma, Options.TuneSteps);
    }

    /// <summary>
    /// The predictive of <see cref="Options"/> for inputs [N, ..input] (<see cref="IStochasticPredictor"/>): GLM regression is one
    /// closed-form Gaussian (T = 1, means f*, variances diag(J Sigma J^T) + sigma^2); GLM classification with the probit link is one
    /// probability vector (T = 1); the Monte Carlo predictives draw T = <paramref name="samples"/>. No gradient.
    /// </summary>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        Check.Positive(samples, Who, nameof(samples));
        return Options.Predictive == LaplacePredictiveKind.Glm ? PredictGlm(inputs, samples) : PredictSampling(inputs, samples);
    }

    /// <summary><see cref="Predict(Tensor, int)"/> with <see cref="LaplaceOptions.Samples"/> draws.</summary>
    public PredictiveSamples Predict(Tensor inputs) => Predict(inputs, Options.Samples);

    /// <summary>
    /// The linearised network's distribution of the outputs for inputs [N, ..input]: mean f(x; theta*) [N, C] and covariance
    /// J Sigma J^T [N, C, C] (J = d f / d theta over the subset, at theta*), float64.
    /// </summary>
    public (Tensor Mean, Tensor Covariance) GlmDistribution(Tensor inputs)
    {
        CheckInputs(inputs);
        using var scope = NewDisposeScope();
        var means = new List<Tensor>();
        var covariances = new List<Tensor>();
        for (long start = 0; start < inputs.shape[0]; start += Options.BatchSize)
        {
            var (f, a, g) = _net.Factors(inputs.narrow(0, start, Math.Min(Options.BatchSize, inputs.shape[0] - start)).to(DType, Device));
            means.Add(f);
            covariances.Add(_curvature.FunctionalCovariance(a, g).detach());
        }
        return (cat(means).MoveToOuterDisposeScope(), cat(covariances).MoveToOuterDisposeScope());
    }

    /// <summary>T draws of all the network's weights [T, D_all]: theta* with the subset drawn from N(theta*, Sigma).</summary>
    public Tensor SampleWeights(int count, long? seed = null)
    {
        Check.Positive(count, Who, nameof(count));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator((ulong)(seed ?? Options.Seed));
        Tensor z = randn([count, Dimension], dtype: ScalarType.Float64, generator: generator).to(Device);
        Tensor delta = _curvature.Sample(z).to(DType);
        Tensor theta = _theta.unsqueeze(0).repeat(count, 1);
        foreach (var b in _net.Blocks) theta.narrow(1, b.Offset, b.Count).add_(delta.narrow(1, b.SubsetOffset, b.Count));
        return theta.MoveToOuterDisposeScope();
    }

    /// <summary>The posterior precision P [D, D] of the subset, float64, dense (any structure; for small subsets).</summary>
    public Tensor Precision()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _curvature.Precision(_delta, _s).MoveToOuterDisposeScope();
    }

    /// <summary>The posterior covariance Sigma = P^-1 [D, D] of the subset, float64, dense (for small subsets).</summary>
    public Tensor Covariance()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor sigma = cholesky_inverse(linalg.cholesky(_curvature.Precision(_delta, _s)));
        return ((sigma + sigma.T) / 2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _curvature.Dispose();
        _theta.Dispose(); _subset.Dispose(); _delta.Dispose();
        if (_ownsNetwork) _network.Dispose();
    }

    /// <summary>The description a model file stores.</summary>
    internal LaplaceRecord Describe() =>
        new(Options, [.. InputShape], LikelihoodKind, [.. PriorPrecision], NoiseSigma, Count, _fitTerm);

    /// <summary>The Hessian's tensors, by name, as a model file stores them.</summary>
    internal IReadOnlyList<(string Name, Tensor Value)> HessianState => _curvature.State;

    /// <summary>
    /// The first half of loading from a model file: an empty Hessian for <paramref name="network"/> (whose weights are read next) and
    /// what completes the posterior once the file's tensors are copied into <c>Targets</c>; the posterior owns the network.
    /// </summary>
    internal static (IReadOnlyList<(string Name, Tensor Value)> Targets, Func<LaplacePosterior> Complete) Restore(nn.Module network,
        LaplaceRecord record, Device device)
    {
        record.Options.Validate();
        var net = LaplaceNetwork.Read(network, record.InputShape, record.Options.Subset);
        Check.Argument(record.PriorPrecision.Length == 1 || record.PriorPrecision.Length == net.Blocks.Length, Who, "PriorPrecision",
            $"{record.PriorPrecision.Length} values", $"one, or one per dense layer of the subset ({net.Blocks.Length})");
        var curvature = Curvature.Create(record.Options.Hessian, net.Blocks, record.Options.Rank, device);
        return (curvature.State, () =>
        {
            using (no_grad()) curvature.Finish();
            var posterior = new LaplacePosterior(network, true, net, curvature, record.Options, record.Likelihood, record.Count,
                record.FitTerm, record.PriorPrecision, record.NoiseSigma);
            posterior.Prepare();
            return posterior;
        }
        );
    }

    PredictiveSamples PredictGlm(Tensor inputs, int samples)
    {
        using var scope = NewDisposeScope();
        var (f, cov) = GlmDistribution(inputs);
        Tensor variance = cov.diagonal(0, 1, 2);                                       // [N, C]
        if (LikelihoodKind == LikelihoodKind.Gaussian)
            return PredictiveSamples.Regression(f.unsqueeze(0).to(DType).MoveToOuterDisposeScope(),
                (variance + 1 / _s).unsqueeze(0).to(DType).MoveToOuterDisposeScope());
        if (Options.Link == GlmLink.Probit)
            return PredictiveSamples.Classification(Probit(f, cov).unsqueeze(0).to(DType).MoveToOuterDisposeScope());
        long c = f.shape[1];
        Tensor chol = linalg.cholesky(cov + 1e-10 * eye(c, dtype: ScalarType.Float64, device: cov.device));
        var generator = new Generator((ulong)Options.Seed);
        Tensor z = randn([samples, f.shape[0], c, 1], dtype: ScalarType.Float64, generator: generator).to(Device);
        Tensor logits = f.unsqueeze(0) + chol.unsqueeze(0).matmul(z).squeeze(-1);
        return PredictiveSamples.Classification(logits.to(DType).softmax(-1).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The probit approximation of E softmax(f), f ~ N(mean [N, C], covariance [N, C, C]), on the logits' differences (the
    /// mean-field approximation of Lu, Ie &amp; Sha 2020 with the full covariance): softmax_k(f) = 1 / sum_j exp(-(f_k - f_j)), each
    /// pairwise term given MacKay's (1992) binary probit, then normalised:
    /// p_k ∝ 1 / sum_j exp(-(m_k - m_j) / sqrt(1 + pi/8 v_kj)), v_kj = S_kk + S_jj - 2 S_kj = Var(f_k - f_j).
    /// Like the softmax it depends on the differences alone, so variance along 1 (a constant added to every logit, where a
    /// classifier's GGN has no curvature and the posterior keeps the prior's variance) changes nothing, and for two classes it is
    /// the binary probit sigmoid((m_1 - m_2) / sqrt(1 + pi/8 v_12)). (The per-class form softmax(m_k / sqrt(1 + pi/8 S_kk)) of
    /// laplace-torch counts that common variance and flattens the predictions.) Returns probabilities [N, C].
    /// </summary>
    internal static Tensor Probit(Tensor mean, Tensor covariance)
    {
        using var scope = NewDisposeScope();
        Tensor diagonal = covariance.diagonal(0, 1, 2);                                                   // [N, C]
        Tensor v = (diagonal.unsqueeze(2) + diagonal.unsqueeze(1) - covariance - covariance.transpose(1, 2)).clamp_min(0);
        Tensor z = (mean.unsqueeze(2) - mean.unsqueeze(1)) / (1 + Math.PI / 8 * v).sqrt();              // [N, k, j], z_kk = 0
        return (-(-z).logsumexp(2)).softmax(1).MoveToOuterDisposeScope();
    }

    PredictiveSamples PredictSampling(Tensor inputs, int samples)
    {
        CheckInputs(inputs);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor theta = SampleWeights(samples);
        var outputs = new List<Tensor>();
        for (long start = 0; start < inputs.shape[0]; start += Options.BatchSize)
        {
            Tensor x = inputs.narrow(0, start, Math.Min(Options.BatchSize, inputs.shape[0] - start)).to(DType, Device);
            Tensor y = _net.Functional.Forward(theta, x);
            outputs.Add(y.reshape(samples, x.shape[0], -1));
        }
        Tensor all = cat(outputs, 1);
        if (LikelihoodKind == LikelihoodKind.Categorical)
            return PredictiveSamples.Classification(all.softmax(-1).MoveToOuterDisposeScope());
        return PredictiveSamples.Regression(all.contiguous().MoveToOuterDisposeScope(),
            full_like(all, 1 / _s).MoveToOuterDisposeScope());
    }

    void Prepare()
    {
        using var noGrad = no_grad();
        _curvature.Prepare(_delta, _s);
    }

    Tensor Evidence(Tensor delta, Tensor s)
    {
        Tensor dv = _curvature.DeltaVector(delta);
        Tensor logLikelihood = LikelihoodKind == LikelihoodKind.Gaussian
            ? 0.5 * Count * _net.Outputs * (s / (2 * Math.PI)).log() - 0.5 * s * _fitTerm
            : tensor(_fitTerm, dtype: ScalarType.Float64, device: Device);
        return logLikelihood - 0.5 * (_curvature.LogDet(delta, s) - dv.log().sum() + (dv * _subset.square()).sum());
    }

    void CheckInputs(Tensor inputs) =>
        Check.Argument(inputs.dim() == InputShape.Count + 1 && inputs.shape[1..].SequenceEqual(InputShape), Who, nameof(inputs),
            "shape " + Check.Shape(inputs.shape), Check.BatchShape(InputShape));

    static (LikelihoodKind Kind, double? Sigma) Describe(Likelihood likelihood) => likelihood switch
    {
        GaussianLikelihood { Noise: not GaussianNoise.Heteroscedastic } g => (LikelihoodKind.Gaussian, g.NoiseSigma),
        CategoricalLikelihood => (LikelihoodKind.Categorical, null),
        _ => throw Check.Error(Who, nameof(likelihood), likelihood.Describe().DisplayName,
            "a Gaussian likelihood with fixed or learned (homoscedastic) noise, or a Categorical likelihood",
            "The generalized Gauss-Newton matrix is implemented for these two; fit a heteroscedastic model's mean another way."),
    };

    static Tensor Targets(Tensor y, Tensor f)
    {
        Check.Argument(y.is_floating_point() && y.numel() == f.numel(), Who, "data.Targets",
            $"{y.dtype} targets of shape {Check.Shape(y.shape)}",
            $"real targets with {f.shape[1]} values per row (the network's outputs)", "Regression targets are [N, C] floats.");
        return y.reshape(f.shape).to(ScalarType.Float64);
    }

    static Tensor Labels(Tensor y, Tensor f)
    {
        Check.Argument(y.dtype == ScalarType.Int64 && y.dim() == 1, Who, "data.Targets",
            $"{y.dtype} targets of shape {Check.Shape(y.shape)}",
            "int64 class indices [N]");
        Check.Argument(y.ge(0).logical_and(y.lt(f.shape[1])).all().item<bool>(), Who, "data.Targets", "a class index out of range",
            $"indices in [0, {f.shape[1] - 1}] (the network's {f.shape[1]} outputs)");
        return y;
    }

    /// <summary>
    /// One pass over the data: per batch the subset's inputs a and u = Lambda^(1/2)-weighted output gradients (unit noise) to
    /// <paramref name="visit"/>. Returns the fit term from the same outputs: log p(D | theta*) for a classifier, the sum of squared
    /// residuals for a Gaussian likelihood.
    /// </summary>
    static double Pass(LaplaceNetwork net, LikelihoodKind kind, LabeledData data, int batch, ScalarType dtype, Device device,
        Action<Tensor[], Tensor[]> visit)
    {
        double total = 0;
        for (long start = 0; start < data.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            long rows = Math.Min(batch, data.Count - start);
            var (f, a, g) = net.Factors(data.Inputs.narrow(0, start, rows).to(dtype, device));
            Tensor y = data.Targets.narrow(0, start, rows).to(device);
            total += kind == LikelihoodKind.Gaussian
                ? (f - Targets(y, f)).square().sum().item<double>()
                : f.log_softmax(1).gather(1, Labels(y, f).unsqueeze(1)).sum().item<double>();
            if (kind == LikelihoodKind.Categorical)
            {
                // Lambda = diag(p) - p p^T = L L^T with L = diag(sqrt p) - p sqrt(p)^T: u_k = sqrt(p_k) (g_k - sum_c p_c g_c).
                Tensor p = f.softmax(1);
                g = g.Select(gl => p.sqrt().unsqueeze(2) * (gl - einsum("bc,bco->bo", p, gl).unsqueeze(1))).ToArray();
            }
            visit(a, g);
        }
        return total;
    }
}
