using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Models;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// An immutable declaration of a variational autoencoder (Kingma &amp; Welling 2014) from declared encoder and
/// decoder networks: q(z | x) = N(mu(h), diag sigma^2(h)) with h = encoder(x), p(z) (default N(0, I)) and
/// p(x | z) = likelihood(decoder(z)). <see cref="Validate"/> checks, before anything is allocated, that the
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
    public VaeBuilder WithLikelihood(Objectives.LikelihoodSpec likelihood) => WithLikelihood(likelihood switch
    {
        { Kind: nameof(Objectives.BernoulliLikelihood) } => new BernoulliDecoder(),
        { Kind: nameof(Objectives.GaussianLikelihood), Noise: nameof(Objectives.GaussianNoise.Fixed) } => new GaussianDecoder(likelihood.Sigma),
        { Kind: nameof(Objectives.CategoricalLikelihood) } => new CategoricalDecoder(),
        _ => (DecoderLikelihood)new GaussianDecoder(),
    });

    /// <summary>
    /// The prior p(z), made for the latent dimension under the build's policy (its batch ++ event shape must be [D]),
    /// e.g. <c>(d, p) =&gt; Dist.Laplace(p.Tensor(new double[d], d), ...)</c>. Default N(0, I).
    /// </summary>
    public VaeBuilder WithPrior(Func<long, ComputePolicy, Distribution> prior) => new(_encoder, _decoder, _latent, _likelihood, prior);

    /// <summary>Every mistake in the declaration (empty when it builds); encoder and decoder mistakes are prefixed.</summary>
    public IReadOnlyList<BuildError> Validate()
    {
        if (_latent < 1) return [new(BuildErrorKind.InvalidParameter, -1, "latent", $"vae: the latent dimension must be >= 1; found {_latent}.")];
        var errors = new List<BuildError>();
        errors.AddRange(_encoder.Validate().Select(e => e with { Message = "encoder: " + e.Message }));
        var decoder = _decoder.InputShape.Count == 0 ? _decoder.Input(_latent) : _decoder;
        errors.AddRange(decoder.Validate("the latent code z").Select(e => e with { Message = "decoder: " + e.Message }));
        if (errors.Count > 0) return errors;
        if (!Shapes.Same(decoder.InputShape, [_latent]))
            errors.Add(new(BuildErrorKind.ShapeMismatch, 0, _decoder.Layers[0].Name,
                $"decoder: it reads {Shapes.Format(decoder.InputShape)}, but the latent code z is [{_latent}]. Make the decoder's input width {_latent}."));
        var h = _encoder.OutputShape()!;
        if (h.Count != 1)
            errors.Add(new(BuildErrorKind.ShapeMismatch, _encoder.Layers.Count - 1, _encoder.Layers[^1].Name,
                $"encoder: the Gaussian head reads one feature vector, but the encoder's last layer '{_encoder.Layers[^1].Name}' outputs {Shapes.Format(h)}. End the encoder with Flatten."));
        long data = Shapes.Elements(_encoder.ResolvedInput()), want = _likelihood.ParametersPerFeature * data;
        var x = decoder.OutputShape()!;
        if (x.Count != 1 || x[0] != want)
            errors.Add(new(BuildErrorKind.LikelihoodMismatch, _decoder.Layers.Count - 1, _decoder.Layers[^1].Name,
                $"decoder: {_likelihood.Name} needs {_likelihood.ParametersPerFeature} output(s) per data feature, [{want}] for {data} features, " +
                $"but the decoder's last layer '{_decoder.Layers[^1].Name}' outputs {Shapes.Format(x)}."));
        return errors;
    }

    /// <summary>Creates the VAE under <paramref name="policy"/> (default <see cref="ComputePolicy.Default"/>); throws listing every mistake.</summary>
    public Vae Build(ComputePolicy? policy = null)
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new ArgumentException("The VAE declaration has " + errors.Count + " mistake(s):" + Environment.NewLine +
                                        string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)));
        var p = policy ?? ComputePolicy.Default;
        var encoder = _encoder.BuildNetwork(p);
        var decoder = (_decoder.InputShape.Count == 0 ? _decoder.Input(_latent) : _decoder).BuildNetwork(p);
        return p.Apply(new Vae(encoder, _encoder.OutputShape()![0], decoder, _likelihood,
            Shapes.Elements(_encoder.ResolvedInput()), _latent, prior: _prior?.Invoke(_latent, p)));
    }
}
