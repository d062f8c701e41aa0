using BayesDL.Distributions;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// The Gaussian head of a VAE encoder (Kingma &amp; Welling 2014): two linear maps of the encoder features h
/// give q_phi(z | x) = N(mu(h), diag sigma^2(h)) with mu = W_mu h + b_mu and log sigma^2 = W_v h + b_v.
/// <see cref="nn.Module{T, TResult}.forward"/> returns <c>[mu, log sigma^2]</c> concatenated on the last dimension.
/// </summary>
public sealed class GaussianEncoderHead : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> loc, logVariance;

    /// <summary>A head from <paramref name="inFeatures"/> encoder features to a
    /// <paramref name="latentDim"/>-dimensional Gaussian.</summary>
    public GaussianEncoderHead(long inFeatures, long latentDim, string name = "GaussianEncoderHead") : base(name)
    {
        Validation.Check.Positive(inFeatures, name, "inFeatures");
        Validation.Check.Positive(latentDim, name, "latentDim");
        LatentDim = latentDim;
        loc = nn.Linear(inFeatures, latentDim);
        logVariance = nn.Linear(inFeatures, latentDim);
        RegisterComponents();
    }

    /// <summary>The latent dimension.</summary>
    public long LatentDim { get; }

    /// <summary>The loc layer W_mu h + b_mu (exposed so tests can set an exact posterior).</summary>
    public nn.Module<Tensor, Tensor> LocLayer => loc;

    /// <summary>The log-variance layer W_v h + b_v.</summary>
    public nn.Module<Tensor, Tensor> LogVarianceLayer => logVariance;

    /// <inheritdoc/>
    public override Tensor forward(Tensor features) => cat(new[] { loc.forward(features), logVariance.forward(features) }, -1);

    /// <summary>q(z | x) = N(mu, diag exp(log sigma^2)) from the encoder features; batch shape <c>[..., LatentDim]</c>.</summary>
    public Normal Posterior(Tensor features) => PosteriorAndLogVariance(features).Posterior;

    /// <summary>q(z | x) and the log sigma^2 it was made from, which the KL to N(0, I) uses directly.</summary>
    internal (Normal Posterior, Tensor LogVariance) PosteriorAndLogVariance(Tensor features)
    {
        Tensor mu = loc.forward(features);
        Tensor logVar = logVariance.forward(features);
        return (Dist.Normal(mu, logVar.mul(0.5).exp(), validate: false), logVar);
    }
}
