using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Models;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// An immutable declaration of a variational autoencoder (Kingma &amp; Welling 2014) from declared encoder and
/// decoder networks: q(z | x) = N(mu(h), diag sigma^2(h)) with h = encoder(x), p(z) (default N(0, I)) and
/// p(x | z) = likelihood(decoder(z)). <see cref="Validate()"/> checks, before anything is allocated, that the
/// encoder ends in a feature vector, that the decoder reads the latent code z, and that the decoder's width
/// is the likelihood's parameters per feature times the data width; <see cref="Build"/> creates the
/// <see cref="Vae"/>. Data rows are flat: the data width is the element count of the encoder's input.
/// </summary>
public sealed class VaeBuilder
{
    readonly SequentialBuilder _encoder, _decoder;
    readonly long _latent;
    readonly DecoderLikelihood _likelihood;
    readonly Func<long, ComputePolicy, Distribution>? _prior;

    internal VaeBuilder(SequentialBuilder encoder, SequentialBuilder decoder, long latent, DecoderLikelihood likelihood,
                        Func<long, ComputePolicy, Distribution>? prior) =>
        (_encoder, _decoder, _latent, _likelihood, _prior) = (encoder, decoder, latent, likelihood, prior);

    /// <summary>The encoder network x -&gt; h.</summary>
    public VaeBuilder Encoder(SequentialBuilder encoder) => new(encoder, _decoder, _latent, _likelihood, _prior);

    /// <summary>The decoder network z -&gt; the likelihood's parameters.</summary>
    public VaeBuilder Decoder(SequentialBuilder decoder) => new(_encoder, decoder, _latent, _likelihood, _prior);

    /// <summary>The latent dimension D.</summary>
    public VaeBuilder Latent(long dimension) => new(_encoder, _decoder, dimension, _likelihood, _prior);

    /// <summary>The observation model p(x | z) (default Bernoulli on grey levels).</summary>
    public VaeBuilder WithLikelihood(DecoderLikelihood likelihood) => new(_encoder, _decoder, _latent, likelihood, _prior);

    /// <summary>
    /// The observation model from a likelihood spec: Bernoulli -&gt; Bernoulli logits per pixel; Gaussian with a fixed
    /// sigma -&gt; N(x; mean, sigma^2); a learned Gaussian or Heteroscedastic -&gt; per-pixel mean and log-scale;
    /// Categorical -&gt; 16 grey levels per pixel.
    /// </summary>
    public VaeBuilder WithLikelihood(Predictive.LikelihoodSpec likelihood) => WithLikelihood(likelihood switch
    {
        { Kind: Predictive.LikelihoodKind.Bernoulli } => new BernoulliDecoder(),
        { Kind: Predictive.LikelihoodKind.Gaussian, Noise: Predictive.GaussianNoise.Fixed } => new GaussianDecoder(likelihood.Sigma),
        { Kind: Predictive.LikelihoodKind.Categorical } => new CategoricalDecoder(),
        _ => (DecoderLikelihood)new GaussianDecoder(),
    });

    /// <summary>
    /// The prior p(z), made for the latent dimension under the build's policy (its batch ++ event shape must be [D]),
    /// e.g. <c>(d, p) =&gt; Dist.Laplace(p.Tensor(new double[d], d), ...)</c>. Default N(0, I).
    /// </summary>
    public VaeBuilder WithPrior(Func<long, ComputePolicy, Distribution> prior) => new(_encoder, _decoder, _latent, _likelihood, prior);

    /// <summary>Every mistake in the declaration (empty when it builds); encoder and decoder mistakes are prefixed.</summary>
    public IReadOnlyList<BuildError> Validate() => Validate(0);

    /// <summary>
    /// The validation of <see cref="Validate()"/> for a VAE conditioned on <paramref name="condition"/> features (a one-hot label of
    /// that many classes): the encoder reads [x, c], so the data width is its input width minus the condition, and
    /// the decoder reads [z, c].
    /// </summary>
    internal IReadOnlyList<BuildError> Validate(long condition)
    {
        if (_latent < 1) return [new(BuildErrorKind.InvalidParameter, -1, "latent",
            $"vae: the latent dimension must be >= 1; found {_latent}.")];
        var errors = new List<BuildError>();
        errors.AddRange(_encoder.Validate().Select(e => e with { Message = "encoder: " + e.Message }));
        var decoder = DecoderFor(condition);
        string code = condition == 0 ? "the latent code z" : $"[z, one-hot y] ({_latent} latent + {condition} classes)";
        errors.AddRange(decoder.Validate(code).Select(e => e with { Message = "decoder: " + e.Message }));
        if (errors.Count > 0) return errors;
        if (!Shapes.Same(decoder.InputShape, [_latent + condition]))
            errors.Add(new(BuildErrorKind.ShapeMismatch, 0, _decoder.Layers[0].Name, condition == 0
                ? $"decoder: it reads {Check.Shape(decoder.InputShape)}, but the latent code z is [{_latent}]. Make the " +
                $"decoder's input width {_latent}."
                : $"decoder: it reads {Check.Shape(decoder.InputShape)}, but [z, one-hot y] is [{_latent + condition}] ({_latent} latent " +
                $"+ {condition} classes). Make the decoder's input width {_latent + condition}."));
        var h = _encoder.OutputShape()!;
        if (h.Count != 1)
            errors.Add(new(BuildErrorKind.ShapeMismatch, _encoder.Layers.Count - 1, _encoder.Layers[^1].Name,
                $"encoder: the Gaussian head reads one feature vector, but the encoder's last layer '{_encoder.Layers[^1].Name}' outputs " +
                $"{Check.Shape(h)}. End the encoder with Flatten."));
        long inputs = Shapes.Elements(_encoder.ResolvedInput()), data = inputs - condition, want = _likelihood.ParametersPerFeature * data;
        if (data < 1)
            return [.. errors, new(BuildErrorKind.ShapeMismatch, 0, _encoder.Layers[0].Name,
                $"encoder: it reads [{inputs}], which leaves no data features beside the {condition}-class one-hot label. Make its input " +
                $"width data features + {condition}.")];
        string reads = condition == 0 ? "" : $" (the encoder reads [x, one-hot y]: {inputs} = {data} data features + {condition} classes)";
        var x = decoder.OutputShape()!;
        if (x.Count != 1 || x[0] != want)
            errors.Add(new(BuildErrorKind.LikelihoodMismatch, _decoder.Layers.Count - 1, _decoder.Layers[^1].Name,
                $"decoder: {_likelihood.Name} needs {_likelihood.ParametersPerFeature} output(s) per data feature, " +
                $"[{want}] for {data} features{reads}, " +
                $"but the decoder's last layer '{_decoder.Layers[^1].Name}' outputs {Check.Shape(x)}."));
        return errors;
    }

    SequentialBuilder DecoderFor(long condition) => _decoder.InputShape.Count == 0 ? _decoder.Input(_latent + condition) : _decoder;

    /// <summary>Creates the VAE under <paramref name="policy"/> (default <see cref="ComputePolicy.Default"/>); throws
    /// listing every mistake.</summary>
    public Vae Build(ComputePolicy? policy = null)
    {
        var p = policy ?? ComputePolicy.Default;
        var (encoder, features, decoder, data, prior) = Parts(p, 0, "VAE declaration");
        return p.Apply(new Vae(encoder, features, decoder, _likelihood, data, _latent, prior: prior));
    }

    /// <summary>The observation model p(x | z).</summary>
    internal DecoderLikelihood LikelihoodModel => _likelihood;

    /// <summary>The latent dimension.</summary>
    internal long LatentDimension => _latent;

    /// <summary>The encoder declaration.</summary>
    internal SequentialBuilder EncoderDeclaration => _encoder;

    /// <summary>Validated networks (encoder, its width, decoder), the data width and the prior for a VAE with <paramref name="condition"/>
    /// condition features.</summary>
    internal (TorchSharp.Modules.Sequential Encoder, long EncoderFeatures, TorchSharp.Modules.Sequential Decoder,
        long DataFeatures, Distribution? Prior)
        Parts(ComputePolicy p, long condition, string what)
    {
        var errors = Validate(condition);
        BuildException.ThrowIfAny(what, errors);
        return (_encoder.BuildNetwork(p), _encoder.OutputShape()![0], DecoderFor(condition).BuildNetwork(p),
                Shapes.Elements(_encoder.ResolvedInput()) - condition, _prior?.Invoke(_latent, p));
    }

    /// <summary>
    /// The deterministic autoencoder with the same networks (<see cref="Autoencoder"/>: z = W h + b, no KL, no noise; the
    /// declared prior is unused), for the lecture's AE-versus-VAE comparison; throws listing every mistake.
    /// </summary>
    public Autoencoder BuildAutoencoder(ComputePolicy? policy = null)
    {
        var p = policy ?? ComputePolicy.Default;
        var (encoder, features, decoder, data, _) = Parts(p, 0, "autoencoder declaration");
        return p.Apply(new Autoencoder(encoder, features, decoder, _likelihood, data, _latent));
    }

    /// <summary>Builds the autoencoder and fits it to the rows of <paramref name="data"/> by minimising the reconstruction loss
    /// -log p(x | z(x)).</summary>
    public VaeFitResult<Autoencoder> FitAutoencoder(Tensor data, VariationalFitOptions? options = null, ComputePolicy? policy = null)
    {
        var model = BuildAutoencoder(policy);
        return new(model, VaeFitting.Fit(model, data, options));
    }

    /// <summary>The conditional VAE of Sohn et al. (2015) over <paramref name="classes"/> labels: declare the encoder reading x and the
    /// one-hot label, the decoder reading z and the label.</summary>
    public ConditionalVaeBuilder Conditional(int classes) => new(this, classes);

    /// <summary>
    /// Builds the VAE and fits it to the rows of <paramref name="data"/> ([N, features], on the policy's device and dtype) with
    /// <see cref="VaeFitting.Fit(Vae, Tensor, VariationalFitOptions?, Action{Training.EpochReport}?)"/>; throws listing every declaration
    /// or fitting mistake before any step.
    /// </summary>
    public VaeFitResult<Vae> Fit(Tensor data, VariationalFitOptions? options = null, ComputePolicy? policy = null)
    {
        var model = Build(policy);
        return new(model, VaeFitting.Fit(model, data, options));
    }
}
