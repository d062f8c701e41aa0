using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Models;

namespace BayesDL.Builders;

/// <summary>
/// A declared conditional VAE (Sohn, Lee &amp; Yan 2015) over C classes: q(z | x, y) = N(mu(h), diag sigma^2(h)) with
/// h = encoder([x, onehot(y)]), p(z) (default N(0, I)) and p(x | z, y) = likelihood(decoder([z, onehot(y)])). The encoder's
/// input width is the data width plus C, the decoder's input width the latent dimension plus C; <see cref="Validate"/>
/// names the layer and both widths when they disagree. Made by <see cref="VaeBuilder.Conditional"/>.
/// </summary>
public sealed class ConditionalVaeBuilder
{
    readonly VaeBuilder _vae;

    internal ConditionalVaeBuilder(VaeBuilder vae, int classes) => (_vae, Classes) = (vae, classes);

    /// <summary>The number of classes C.</summary>
    public int Classes { get; }

    /// <summary>The underlying VAE declaration (networks, latent dimension, likelihood, prior).</summary>
    public VaeBuilder Vae => _vae;

    /// <summary>Every mistake in the declaration (empty when it builds).</summary>
    public IReadOnlyList<BuildError> Validate() => Classes < 2
        ? [new(BuildErrorKind.InvalidParameter, -1, "classes", $"conditional VAE: the number of classes must be >= 2; found {Classes}.")]
        : _vae.Validate(Classes);

    /// <summary>Creates the conditional VAE under <paramref name="policy"/> (default <see cref="ComputePolicy.Default"/>); throws
    /// listing every mistake.</summary>
    public ConditionalVae Build(ComputePolicy? policy = null)
    {
        var errors = Validate();
        BuildException.ThrowIfAny("conditional VAE declaration", errors);
        var p = policy ?? ComputePolicy.Default;
        var (encoder, features, decoder, data, prior) = _vae.Parts(p, Classes, "conditional VAE declaration");
        return p.Apply(new ConditionalVae(encoder, features, decoder, _vae.LikelihoodModel, data,
            _vae.LatentDimension, Classes, prior: prior));
    }

    /// <summary>
    /// M2 (Kingma et al. 2014) over this conditional VAE and a <paramref name="classifier"/> q(y | x) reading the data rows and
    /// ending in C logits; <paramref name="alpha"/> weighs the labelled classification term (46 as in Pyro's example).
    /// </summary>
    public SemiSupervisedVaeBuilder SemiSupervised(SequentialBuilder classifier, double alpha = SemiSupervisedVaeBuilder.DefaultAlpha) =>
        new(this, classifier, alpha);

    /// <summary>
    /// Builds the model and fits it to labelled rows (inputs [N, data features], labels [N] in [0, C)) with
    /// <see cref="VaeFitting"/>; throws listing every declaration or fitting mistake before any step.
    /// </summary>
    public VaeFitResult<ConditionalVae> Fit(LabeledData data, VariationalFitOptions? options = null, ComputePolicy? policy = null)
    {
        var model = Build(policy);
        return new(model, VaeFitting.Fit(model, data, options));
    }
}
