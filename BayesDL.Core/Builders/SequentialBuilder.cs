using System.Collections.Immutable;
using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Layers;
using BayesDL.Models;
using BayesDL.Networks;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Training;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// An immutable, fluent declaration of a feed-forward model: layers in order, an optional input shape
/// (inferred from a first dense layer), and the likelihood. Every method returns a new builder, so a
/// prefix can be shared. <see cref="Validate()"/> walks the shapes once, before any tensor is allocated,
/// and reports every mistake with the layer and both shapes; <see cref="Build"/> creates the modules.
/// The F# DSL builds its models through this same class.
/// </summary>
public sealed class SequentialBuilder
{
    readonly ImmutableList<LayerSpec> _layers;
    readonly ImmutableArray<long> _input;
    readonly LikelihoodSpec? _likelihood;
    readonly VariationalFamily _family;
    readonly PriorSpec _prior;
    readonly WeightInitialization _initialization;

    internal static readonly SequentialBuilder Empty =
        new([], [], null, VariationalFamily.MeanField, PriorSpec.Normal(), WeightInitialization.TorchDefault);

    SequentialBuilder(ImmutableList<LayerSpec> layers, ImmutableArray<long> input, LikelihoodSpec? likelihood,
        VariationalFamily family, PriorSpec prior, WeightInitialization initialization) =>
        (_layers, _input, _likelihood, _family, _prior, _initialization) = (layers, input, likelihood, family, prior, initialization);

    SequentialBuilder With(ImmutableList<LayerSpec>? layers = null, ImmutableArray<long>? input = null,
                           LikelihoodSpec? likelihood = null, VariationalFamily? family = null, PriorSpec? prior = null,
                           WeightInitialization? initialization = null) =>
        new(layers ?? _layers, input ?? _input, likelihood ?? _likelihood, family ?? _family, prior ?? _prior,
            initialization ?? _initialization);

    /// <summary>The weight prior of Bayesian layers that declare none (default N(0, 1)).</summary>
    public PriorSpec Prior => _prior;

    /// <summary>The declared variational family (default mean field).</summary>
    public VariationalFamily Family => _family;

    /// <summary>
    /// How the deterministic weight layers draw their starting weights (default <see cref="WeightInitialization.TorchDefault"/>).
    /// </summary>
    public WeightInitialization Initialization => _initialization;

    /// <summary>The declared layers, in order.</summary>
    public IReadOnlyList<LayerSpec> Layers => _layers;

    /// <summary>The declared per-example input shape; empty when it is inferred from the first layer.</summary>
    public IReadOnlyList<long> InputShape => _input;

    /// <summary>Whether a likelihood has been declared.</summary>
    public bool HasLikelihood => _likelihood is not null;

    /// <summary>The declared likelihood (see <see cref="HasLikelihood"/>).</summary>
    public LikelihoodSpec Likelihood => _likelihood ?? throw new InvalidOperationException(
        "SequentialBuilder: no likelihood declared; call WithLikelihood(Likelihoods.Categorical()) or similar first.");

    /// <summary>Declares the per-example input shape, e.g. <c>Input(1, 28, 28)</c> for images.</summary>
    public SequentialBuilder Input(params long[] shape) => With(input: [.. shape]);

    /// <summary>Appends any layer spec.</summary>
    public SequentialBuilder Add(LayerSpec layer) => With(layers: _layers.Add(layer));

    /// <summary>Appends the layers of <paramref name="next"/> (composition of two declared blocks).</summary>
    public SequentialBuilder Then(SequentialBuilder next) =>
        With(layers: _layers.AddRange(next._layers), input: _input.IsEmpty ? next._input : _input, likelihood: next._likelihood);

    /// <summary>A deterministic dense layer y = W x + b.</summary>
    public SequentialBuilder Linear(long inFeatures, long outFeatures, bool bias = true) =>
        Add(new LinearSpec(inFeatures, outFeatures, bias));

    /// <summary>
    /// A Bayesian dense layer with a mean-field Gaussian posterior over W and b; <paramref name="prior"/> overrides the
    /// model's (<see cref="WithPrior"/>); the gradient estimator defaults to local reparameterization.
    /// </summary>
    public SequentialBuilder BayesLinear(long inFeatures, long outFeatures, PriorSpec? prior = null,
                                         GradientEstimator estimator = GradientEstimator.LocalReparameterization, bool bias = true) =>
        Add(new BayesLinearSpec(inFeatures, outFeatures, prior, estimator, bias));

    /// <summary>A Bayesian 2-D convolution (square kernel) with a mean-field posterior; the estimator defaults to Flipout.</summary>
    public SequentialBuilder BayesConv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0,
                                         PriorSpec? prior = null, GradientEstimator estimator = GradientEstimator.Flipout) =>
        Add(new BayesConv2dSpec(inChannels, outChannels, kernel, stride, padding, prior, estimator));

    /// <summary>Declares the weight prior for every Bayesian layer that does not declare its own.</summary>
    public SequentialBuilder WithPrior(PriorSpec prior) => With(prior: prior);

    /// <summary>
    /// Declares how every deterministic weight layer (Linear, Conv2d) draws its starting weights when the model is built, e.g.
    /// <see cref="WeightInitialization.GlorotUniform"/> to start as a Keras network does. Throws
    /// <see cref="ArgumentException"/> for a value that is not a <see cref="WeightInitialization"/>.
    /// </summary>
    public SequentialBuilder WithInitialization(WeightInitialization initialization)
    {
        Check.Argument(Enum.IsDefined(initialization), nameof(SequentialBuilder) + "." + nameof(WithInitialization),
            nameof(initialization), initialization.ToString(), "a WeightInitialization value",
            "Use WeightInitialization.TorchDefault, GlorotUniform or HeNormal.");
        return With(initialization: initialization);
    }

    /// <summary>A deterministic 2-D convolution (square kernel).</summary>
    public SequentialBuilder Conv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0) =>
        Add(new Conv2dSpec(inChannels, outChannels, kernel, stride, padding));

    /// <summary>Flattens each example into a vector.</summary>
    public SequentialBuilder Flatten() => Add(new FlattenSpec());

    /// <summary>An element-wise activation (the registered element-wise kind of that name, see <see cref="LayerKinds"/>).</summary>
    public SequentialBuilder Activation(Activation kind) => Add(LayerKinds.Elementwise(kind.ToString()));

    /// <summary>max(0, x).</summary>
    public SequentialBuilder Relu() => Activation(Builders.Activation.Relu);

    /// <summary>tanh(x).</summary>
    public SequentialBuilder Tanh() => Activation(Builders.Activation.Tanh);

    /// <summary>1 / (1 + exp(-x)).</summary>
    public SequentialBuilder Sigmoid() => Activation(Builders.Activation.Sigmoid);

    /// <summary>Standard dropout with rate p (inactive in evaluation mode).</summary>
    public SequentialBuilder Dropout(double p) => Add(new DropoutSpec(p));

    /// <summary>Declares the likelihood p(y | f(x)).</summary>
    public SequentialBuilder WithLikelihood(LikelihoodSpec likelihood) => With(likelihood: likelihood);

    /// <summary>
    /// Declares the variational family. <see cref="VariationalFamily.Dropout"/> makes the built network MC-dropout capable
    /// (dropout with rate p before every weight layer, kept on at test time: <see cref="MCDropoutConverter"/>);
    /// LowRank and FullRank make every BayesLinear a <see cref="MultivariateBayesLinear"/>; ConcreteDropout wraps every
    /// deterministic weight layer in a <see cref="VariationalConcreteDropout"/> (prior N(0, s^2): length-scale 1/s).
    /// </summary>
    public SequentialBuilder WithVariational(VariationalFamily family) => With(family: family);

    /// <summary>MC dropout with rate p: stays stochastic in evaluation mode (Gal &amp; Ghahramani 2016).</summary>
    public SequentialBuilder MCDropout(double p) => Add(new MCDropoutSpec(p));

    /// <summary>
    /// Every mistake in the declaration, empty when it builds: parameter ranges, then the shape walk
    /// (stops at the first mismatch, after which shapes are unknown), then the likelihood against the output.
    /// </summary>
    public IReadOnlyList<BuildError> Validate() => Validate("the model input");

    /// <summary><see cref="Validate()"/> with the input named as the caller sees it (e.g. "the latent code z").</summary>
    internal IReadOnlyList<BuildError> Validate(string inputName)
    {
        var errors = new List<BuildError>();
        if (_layers.IsEmpty)
            return [new(BuildErrorKind.Incomplete, -1, "model", "The model declares no layers; add at least one, e.g. Linear(784, 10).")];
        for (int i = 0; i < _layers.Count; i++)
            if (_layers[i].Invalid() is { } problem) errors.Add(new(BuildErrorKind.InvalidParameter, i,
                _layers[i].Name, $"layer {i} {problem}"));
        if (_family.Invalid() is { } familyProblem) errors.Add(new(BuildErrorKind.InvalidParameter, -1, "model", familyProblem));
        errors.AddRange(_family.Misfits(_layers, _prior));
        if (errors.Count > 0) return errors;
        if (OutputShape() is not { } output) return [ShapeError(inputName)];
        if (_likelihood is not null && LikelihoodFit.Mismatch(_likelihood, output, _layers[^1]) is { } misfit)
            errors.Add(new(BuildErrorKind.LikelihoodMismatch, _layers.Count - 1, _layers[^1].Name, misfit));
        return errors;
    }

    /// <summary>The per-example output shape, or null when the shapes do not chain (see <see cref="Validate()"/> for why).</summary>
    public IReadOnlyList<long>? OutputShape()
    {
        IReadOnlyList<long> shape = ResolvedInput();
        if (shape.Count == 0) return null;
        foreach (var layer in _layers)
        {
            var step = layer.Infer(shape);
            if (step.Expected is not null) return null;
            shape = step.Output;
        }
        return shape;
    }

    internal IReadOnlyList<long> ResolvedInput() => _input.IsEmpty ? _layers[0].DeclaredInput : _input;

    BuildError ShapeError(string inputName)
    {
        IReadOnlyList<long> shape = ResolvedInput();
        if (shape.Count == 0)
            return new(BuildErrorKind.Incomplete, 0, _layers[0].Name,
                $"layer 0 '{_layers[0].Name}' cannot infer the model's input shape; declare it first, e.g. Input(1, 28, 28).");
        for (int i = 0; ; i++)
        {
            var step = _layers[i].Infer(shape);
            if (step.Expected is not null)
            {
                string source = i == 0 ? $"{inputName} is {Check.Shape(shape)}"
                    : $"layer {i - 1} '{_layers[i - 1].Name}' outputs {Check.Shape(shape)}";
                return new(BuildErrorKind.ShapeMismatch, i, _layers[i].Name,
                    $"Shape mismatch at layer {i} '{_layers[i].Name}': it expects input {step.Expected}, but " +
                    $"{source}. Make the two sizes agree.");
            }
            shape = step.Output;
        }
    }

    /// <summary>
    /// Mistakes that only matter for fitting: with <see cref="VariationalFitOptions.AnalyticKL"/>, every Bayesian layer's
    /// (posterior, prior) pair must have a closed form in the KL registry.
    /// </summary>
    public IReadOnlyList<BuildError> ValidateFit(VariationalFitOptions options)
    {
        var errors = new List<BuildError>(BuildError.OfSettings(options.Validate, "fit"));
        if (!options.AnalyticKL) return errors;
        for (int i = 0; i < _layers.Count; i++)
            if (_layers[i].IsBayesian)
                errors.AddRange(KLRequirement.ForLayer(_family, _layers[i].DeclaredPrior ?? _prior, i, $"layer {i} '{_layers[i].Name}'"));
        return errors;
    }

    /// <summary>
    /// Whether the declaration is an MC dropout model, the kind <see cref="FitMCDropout"/> trains: its only randomness is dropout
    /// masks kept on at test time (the dropout family with a layer to drop before, or MC-dropout layers) and no layer has a
    /// variational posterior (no Bayesian layer, and not concrete dropout, which wraps every weight layer in one). The built
    /// network of such a declaration is what <see cref="BuiltModel.FitMCDropout"/> accepts: MC-dropout layers and no variational layer.
    /// </summary>
    public bool IsMCDropout
    {
        get
        {
            bool weights = _layers.Any(l => l.WeightCount > 0 && !l.IsBayesian);
            bool variational = _layers.Any(l => l.IsBayesian) || (_family.Kind == VariationalFamily.Family.ConcreteDropout && weights);
            bool masks = _layers.Any(l => l is MCDropoutSpec)
                         || (_family.Kind == VariationalFamily.Family.Dropout && (weights || _layers.Any(l => l is DropoutSpec)));
            return masks && !variational;
        }
    }

    /// <summary>
    /// Mistakes that keep <see cref="FitMCDropout"/> from training this declaration: an out-of-range setting, or a model that is
    /// not an MC dropout model (<see cref="IsMCDropout"/>, an <see cref="BuildErrorKind.UnsupportedFamily"/> error).
    /// </summary>
    public IReadOnlyList<BuildError> ValidateMCDropoutFit(MCDropoutFitOptions options)
    {
        var errors = new List<BuildError>(BuildError.OfSettings(options.Validate, "fit"));
        if (!IsMCDropout)
            errors.Add(new(BuildErrorKind.UnsupportedFamily, -1, "model",
                "MC dropout training needs the dropout family (F#: `variational (dropout p)`; C#: " +
                "WithVariational(VariationalFamily.Dropout(p))), " +
                $"or MC-dropout layers and no Bayesian layer; the model declares {_family.Name}" +
                $"{(_layers.Any(l => l.IsBayesian) ? " with Bayesian layers" : "")}. Declare the dropout family, or fit this " +
                "model variationally (the ELBO)."));
        return errors;
    }

    /// <summary>Whether the declaration has a weight posterior: a Bayesian layer, an MC-dropout layer or the dropout family.</summary>
    public bool IsStochastic =>
        _family.Kind is VariationalFamily.Family.Dropout or VariationalFamily.Family.ConcreteDropout
            || _layers.Any(l => l.IsBayesian || l.IsMonteCarlo);

    /// <summary>The layers alone as a TorchSharp Sequential (for use inside other models, e.g. a VAE's encoder).</summary>
    public Sequential BuildNetwork(ComputePolicy? policy = null)
    {
        var errors = Validate();
        BuildException.ThrowIfAny("network declaration", errors);
        NativeEngine.EnsureLoaded();
        var context = new BuildContext(policy ?? ComputePolicy.Default, _prior, _family.CorrelatedRank,
            // Concrete dropout's prior N(0, s0^2) is the length-scale l = 1 / s0.
            _family.Kind == VariationalFamily.Family.ConcreteDropout ? 1.0 / _prior.Parameters[1] : null, _initialization);
        var network = nn.Sequential(_layers.Select((l, i) => (i.ToString(), l.Create(context))).ToArray());
        return _family.Kind == VariationalFamily.Family.Dropout
            ? MCDropoutConverter.Convert(network, new MCDropoutConversion(_family.Rate))
            : network;
    }

    /// <summary>
    /// Creates the model (network and likelihood, a <see cref="BayesianNetwork"/>) on the policy's device and dtype
    /// (default <see cref="ComputePolicy.Default"/>). Throws <see cref="ArgumentException"/> listing every mistake.
    /// </summary>
    public BuiltModel Build(ComputePolicy? policy = null)
    {
        var errors = Validate().ToList();
        if (_likelihood is null)
            errors.Add(new(BuildErrorKind.Incomplete, -1, "model",
                "The model declares no likelihood; add WithLikelihood(Likelihoods.Categorical()) or similar."));
        if (!IsStochastic)
            errors.Add(new(BuildErrorKind.Incomplete, -1, "model",
                "The model has no weight posterior: declare Bayesian layers (BayesLinear, BayesConv2d), MC " +
                "dropout, or the dropout family. " +
                "For a plain deterministic network use BuildNetwork()."));
        BuildException.ThrowIfAny("model declaration", errors);
        var p = policy ?? ComputePolicy.Default;
        var network = BayesianNetwork.Create(BuildNetwork(p), p.Apply(Predictive.Likelihood.FromSpec(_likelihood!)));
        return new BuiltModel(network, ResolvedInput().ToArray(), OutputShape()!.ToArray(), _family, p);
    }

    /// <summary>
    /// Builds the model and fits it by maximising the ELBO on <paramref name="data"/> (on the policy's device and dtype). Throws
    /// <see cref="ArgumentException"/> listing every declaration or fitting mistake before any step.
    /// </summary>
    public FitResult FitVariational(LabeledData data, VariationalFitOptions? options = null, ComputePolicy? policy = null)
    {
        options ??= new VariationalFitOptions();
        var errors = ValidateFit(options);
        BuildException.ThrowIfAny("fit", errors);
        var model = Build(policy);
        return new FitResult(model, model.Fit(data, options));
    }

    /// <summary>
    /// Fits K independent MC dropout models at once, one per replica (a declaration and its own training rows): the same
    /// architecture (dense layers, activations, MC dropout), each with its own dropout rates and fixed Gaussian noise σ_k, trained
    /// with <paramref name="options"/> as <see cref="FitMCDropout"/> would train each alone (the plain dropout loss plus the
    /// length-scale prior λ = l² (1 − p) / (2N)), but as one batched computation: weights stacked [K, ..], one Trainer step updates
    /// every replica. No term couples two replicas, so each fit equals a separate fit up to its random stream (masks, initial
    /// weights drawn after seeding with Seed + k, its own row order). Small networks' steps cost mostly the engine's fixed
    /// per-operation overhead, which K replicas share: on an 8-50-1 network, 130 µs per replica-step with 10 or 40 replicas
    /// against 700 µs per step of a lone fit (the <c>replicas</c> benchmark). The use: a hyperparameter grid (dropout rate x noise)
    /// or the same recipe on many data splits. Returns the K fitted models in order (the caller disposes them). Throws
    /// <see cref="ArgumentException"/> naming the replica whose declaration, likelihood, architecture or row count does not fit,
    /// or an option replicated fits do not take (<see cref="MCDropoutFitOptions.Alpha"/>, <see cref="MCDropoutFitOptions.Checkpoint"/>).
    /// </summary>
    public static ReplicatedFitResult FitMCDropoutReplicas(IReadOnlyList<MCDropoutReplica> replicas, MCDropoutFitOptions? options = null,
        ComputePolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        options ??= new MCDropoutFitOptions();
        var (fit, models) = MCDropoutReplicaFit.Create(replicas, options, policy ?? ComputePolicy.Default);
        using (fit)
        {
            try
            {
                var epochs = fit.Train(options);
                fit.CopyInto(models);
                foreach (var m in models) m.Network.eval();
                return new ReplicatedFitResult(models, epochs);
            }
            catch
            {
                foreach (var m in models) m.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// MC dropout with the dropout rate and the noise chosen on held-out rows (Gal &amp; Ghahramani 2016's UCI protocol), for each
    /// of <paramref name="trainingSets"/> (regression rows, targets [N, 1]): holds out
    /// <see cref="MCDropoutGridSearchOptions.ValidationFraction"/> of each set, fits this network (its likelihood and variational
    /// family replaced by a fixed-noise Gaussian and MC dropout of each grid rate) on the rest, every (set, rate) as one replicated
    /// fit, and keeps the held-out predictives. Then <see cref="MCDropoutGridSearch.Choose(IReadOnlyList{double})"/> picks (p, σ)
    /// per set by the held-out mixture log-likelihood and <see cref="MCDropoutGridSearch.Refit"/> trains the choices on the whole
    /// sets.
    /// Test rows must not be among the training sets. Throws <see cref="ArgumentException"/> naming a setting out of range or a
    /// training set the replicated fit cannot take (sets of unequal size, targets not [N, 1]), before any step.
    /// </summary>
    public MCDropoutGridSearch SearchMCDropout(IReadOnlyList<LabeledData> trainingSets, MCDropoutGridSearchOptions options,
        ComputePolicy? policy = null) => MCDropoutGridSearch.Run(this, trainingSets, options, policy ?? ComputePolicy.Default);

    /// <summary>
    /// Builds the model and trains it as MC dropout (<see cref="BuiltModel.FitMCDropout"/>: the dropout loss or the
    /// α-divergence, plus the length-scale prior, per <see cref="MCDropoutFitOptions"/>). Throws <see cref="ArgumentException"/>
    /// for a declaration or setting mistake, or a model not of the dropout family, before any step.
    /// </summary>
    public FitResult FitMCDropout(LabeledData data, MCDropoutFitOptions? options = null, ComputePolicy? policy = null)
    {
        options ??= new MCDropoutFitOptions();
        BuildException.ThrowIfAny("fit", [.. Validate(), .. ValidateMCDropoutFit(options)]);
        var model = Build(policy);
        try { return new FitResult(model, model.FitMCDropout(data, options)); }
        catch { model.Dispose(); throw; }
    }
}
