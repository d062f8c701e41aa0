using BayesDL.Distributions;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// A deterministic autoencoder with the same networks as a <see cref="Vae"/>: z = W h + b with h = encoder(x),
/// trained to minimise the reconstruction loss -log p(x | z) alone (no KL, no noise). Its codes are not
/// pulled towards N(0, I), so decoding z ~ N(0, I) lands off the region the decoder has seen: the
/// AE-versus-VAE comparison of the lecture (similar reconstructions, but only the VAE's prior samples are digits).
/// </summary>
public sealed class Autoencoder : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> encoder, decoder, code;

    /// <summary>Same argument meaning as <see cref="Vae"/>'s constructor.</summary>
    public Autoencoder(nn.Module<Tensor, Tensor> encoder, long encoderFeatures,
        nn.Module<Tensor, Tensor> decoder, DecoderLikelihood likelihood,
        long dataFeatures, long latentDim, string name = "Autoencoder") : base(name)
    {
        Check.Positive(encoderFeatures, name, "encoderFeatures");
        Check.Positive(dataFeatures, name, "dataFeatures");
        Check.Positive(latentDim, name, "latentDim");
        this.encoder = encoder;
        this.decoder = decoder;
        code = nn.Linear(encoderFeatures, latentDim);
        Likelihood = likelihood;
        DataFeatures = dataFeatures;
        LatentDim = latentDim;
        RegisterComponents();
    }

    /// <summary>The reconstruction likelihood.</summary>
    public DecoderLikelihood Likelihood { get; }

    /// <summary>Width of a data row.</summary>
    public long DataFeatures { get; }

    /// <summary>Code dimension.</summary>
    public long LatentDim { get; }

    /// <summary>The mean reconstruction.</summary>
    public override Tensor forward(Tensor x) => Reconstruct(x);

    /// <summary>The code z(x), shape [B, D].</summary>
    public Tensor Encode(Tensor x)
    {
        Check.Argument(x.dim() == 2 && x.shape[1] == DataFeatures, GetName(), "x",
            $"shape {Check.Shape(x.shape)}", $"shape [B, {DataFeatures}]");
        return code.forward(encoder.forward(x));
    }

    /// <summary>E[x | z] for codes of shape [B, D].</summary>
    public Tensor DecodeMean(Tensor z)
    {
        Check.Argument(z.dim() == 2 && z.shape[1] == LatentDim, GetName(), "z", $"shape {Check.Shape(z.shape)}", $"shape [B, {LatentDim}]");
        return Likelihood.Mean(decoder.forward(z));
    }

    /// <summary>-log p(x | z(x)) per example, shape [B]: the training loss (its mean) and the reconstruction error.</summary>
    public Tensor ReconstructionLoss(Tensor x)
    {
        Likelihood.CheckSupport(x, GetName());
        using var scope = NewDisposeScope();
        return Likelihood.LogLikelihood(decoder.forward(Encode(x)), x).neg().MoveToOuterDisposeScope();
    }

    /// <summary>E[x | z(x)].</summary>
    public Tensor Reconstruct(Tensor x)
    {
        using var scope = NewDisposeScope();
        return DecodeMean(Encode(x)).MoveToOuterDisposeScope();
    }
}
