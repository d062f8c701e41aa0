using BayesDL.Objectives;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// The conditional VAE of Sohn, Lee &amp; Yan (NeurIPS 2015) for class labels y in {0..C-1}: q(z | x, y),
/// p(z) = N(0, I), p(x | z, y), trained on ELBO(x | y) = E_q[log p(x|z,y)] - KL(q(z|x,y) || p(z)).
/// A wrapper over a conditional <see cref="Vae"/> that one-hot encodes the labels; <see cref="Generate"/> draws the asked digits.
/// </summary>
public sealed class ConditionalVae : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Vae vae;

    /// <summary>
    /// <paramref name="encoder"/> reads [B, dataFeatures + classes]; <paramref name="decoder"/> reads [N, latentDim + classes]
    /// (build them with <c>VaeNetworks</c> and those widths). <paramref name="prior"/>: p(z), N(0, I) when null.
    /// </summary>
    public ConditionalVae(nn.Module<Tensor, Tensor> encoder, long encoderFeatures,
        nn.Module<Tensor, Tensor> decoder, DecoderLikelihood likelihood,
        long dataFeatures, long latentDim, int classes, string name = "ConditionalVae",
        Distributions.Distribution? prior = null) : base(name)
    {
        Check.Argument(classes >= 2, name, "classes", classes.ToString(), "at least 2");
        Classes = classes;
        vae = new Vae(encoder, encoderFeatures, decoder, likelihood, dataFeatures, latentDim,
            conditionFeatures: classes, prior: prior, name: name);
        RegisterComponents();
    }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>The underlying conditional VAE (condition = one-hot label).</summary>
    public Vae Model => vae;

    /// <summary>The mean reconstruction of x given its label.</summary>
    public override Tensor forward(Tensor x, Tensor labels) => vae.Reconstruct(x, OneHot(labels, x));

    /// <summary>ELBO(x | y) with the weighting of <paramref name="options"/>.</summary>
    public VaeElboTerms Elbo(Tensor x, Tensor labels, VaeElboOptions? options = null, long step = 0) =>
        vae.Elbo(x, options, step, OneHot(labels, x));

    /// <summary>The IWAE bound on log p(x | y) with k samples.</summary>
    public Tensor Iwae(Tensor x, Tensor labels, int k, int chunk = 0) => vae.Iwae(x, k, OneHot(labels, x), chunk);

    /// <summary>Mean images E[x | z, y] with z ~ N(0, I), one per entry of <paramref name="labels"/>.</summary>
    public Tensor Generate(Tensor labels)
    {
        using var scope = NewDisposeScope();
        Tensor like = parameters().First();
        return vae.SamplePrior(labels.shape[0], OneHot(labels, like), like).MoveToOuterDisposeScope();
    }

    /// <summary>One-hot rows [B, C] in the dtype and device of <paramref name="like"/>; labels must lie in [0, C).</summary>
    internal Tensor OneHot(Tensor labels, Tensor like)
    {
        Check.Argument(labels.dim() == 1, GetName(), "labels", $"shape {Check.Shape(labels.shape)}", "shape [B] of class indices");
        Check.InRange(labels, 0, Classes - 1, GetName(), "labels");
        return nn.functional.one_hot(labels.to(ScalarType.Int64), Classes).to(like.dtype, like.device);
    }
}
