using BayesDL.Distributions;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// A variational autoencoder (Kingma &amp; Welling, ICLR 2014) assembled from any encoder and decoder networks:
/// q_phi(z | x) = N(mu(h), diag sigma^2(h)) with h = encoder(x) and a <see cref="GaussianEncoderHead"/>,
/// prior p(z) (default N(0, I)), decoder p_theta(x | z) = likelihood(decoder(z)). Trained by maximising
/// ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) with z = mu + sigma * eps (the reparameterisation trick).
/// <para>
/// Optionally conditioned on a feature vector c (a one-hot label for the conditional VAE of Sohn et al. 2015):
/// the encoder then reads [x, c] and the decoder [z, c]; pass <c>conditionFeatures</c> &gt; 0 and a condition to every call.
/// Data are flat, shape [B, DataFeatures]; convolutional networks reshape inside (see <c>VaeNetworks</c>).
/// </para>
/// </summary>
public sealed class Vae : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> encoder, decoder;
    readonly GaussianEncoderHead head;
    readonly Distribution? prior;

    /// <summary>
    /// <paramref name="encoder"/> maps [B, dataFeatures + conditionFeatures] to [B, encoderFeatures];
    /// <paramref name="decoder"/> maps [N, latentDim + conditionFeatures] to [N, likelihood.ParametersPerFeature * dataFeatures].
    /// <paramref name="prior"/>: a distribution over z (batch shape [latentDim], or event shape [latentDim]); N(0, I) when null.
    /// </summary>
    public Vae(nn.Module<Tensor, Tensor> encoder, long encoderFeatures, nn.Module<Tensor, Tensor> decoder, DecoderLikelihood likelihood,
        long dataFeatures, long latentDim, long conditionFeatures = 0, Distribution? prior = null, string name = "Vae") : base(name)
    {
        Check.Positive(dataFeatures, name, "dataFeatures");
        Check.Argument(conditionFeatures >= 0, name, "conditionFeatures", conditionFeatures.ToString(), ">= 0");
        if (prior is not null)
        {
            long[] shape = prior.BatchShape.Concat(prior.EventShape).ToArray();
            Check.Argument(shape.Length == 1 && shape[0] == latentDim, name, "prior", prior.ToString(),
                $"a distribution over z with batch ++ event shape ({latentDim})");
        }
        this.encoder = encoder;
        this.decoder = decoder;
        head = new GaussianEncoderHead(encoderFeatures, latentDim);
        this.prior = prior;
        Likelihood = likelihood;
        DataFeatures = dataFeatures;
        LatentDim = latentDim;
        ConditionFeatures = conditionFeatures;
        RegisterComponents();
    }

    /// <summary>The observation model p(x | z).</summary>
    public DecoderLikelihood Likelihood { get; }

    /// <summary>Width of a data row.</summary>
    public long DataFeatures { get; }

    /// <summary>Latent dimension D.</summary>
    public long LatentDim { get; }

    /// <summary>Width of the condition vector (0 for an unconditional VAE).</summary>
    public long ConditionFeatures { get; }

    /// <summary>The encoder's Gaussian head.</summary>
    public GaussianEncoderHead Head => head;

    /// <summary>The encoder network (x, or [x, c], to the head's features), as <see cref="ModelFile"/> describes it.</summary>
    internal nn.Module<Tensor, Tensor> Encoder => encoder;

    /// <summary>The decoder network (z, or [z, c], to the likelihood's parameters).</summary>
    internal nn.Module<Tensor, Tensor> Decoder => decoder;

    /// <summary>The width of the encoder's output, which the head reads.</summary>
    internal long EncoderFeatures => ((TorchSharp.Modules.Linear)head.LocLayer).in_features;

    /// <summary>True when p(z) is the default N(0, I) (no prior was given).</summary>
    internal bool HasDefaultPrior => prior is null;

    /// <summary>The prior p(z) on the device and dtype of <paramref name="like"/>.</summary>
    public Distribution Prior(Tensor like) =>
        prior ?? Dist.Normal(zeros(LatentDim, dtype: like.dtype, device: like.device),
            ones(LatentDim, dtype: like.dtype, device: like.device), validate: false);

    /// <summary>The mean reconstruction E[x | z = mu(x)].</summary>
    public override Tensor forward(Tensor x) => Reconstruct(x);

    /// <summary>q(z | x, c), batch shape [B, D].</summary>
    public Normal Posterior(Tensor x, Tensor? condition = null) => PosteriorAndLogVariance(x, condition).Posterior;

    (Normal Posterior, Tensor LogVariance) PosteriorAndLogVariance(Tensor x, Tensor? condition)
    {
        CheckInputs(x, condition);
        Tensor input = condition is null ? x : cat(new[] { x, condition.to(x.dtype) }, -1);
        return head.PosteriorAndLogVariance(encoder.forward(input));
    }

    /// <summary>The decoder's raw output for latents z of shape [..., D] (and a condition [B, C] broadcast over
    /// leading sample dims).</summary>
    public Tensor Decode(Tensor z, Tensor? condition = null)
    {
        Check.Argument(z.dim() >= 2 && z.shape[^1] == LatentDim, GetName(), "z",
            $"shape {Check.Shape(z.shape)}", $"shape [..., {LatentDim}]");
        using var scope = NewDisposeScope();
        Tensor input = z;
        if (ConditionFeatures > 0)
        {
            Check.Argument(condition is not null, GetName(), "condition", "null",
                $"a [{z.shape[^2]}, {ConditionFeatures}] tensor (the model is conditional)");
            input = cat(new[] { z, condition!.to(z.dtype).expand(z.shape[..^1].Append(ConditionFeatures).ToArray()) }, -1);
        }
        Tensor flat = decoder.forward(input.reshape(-1, input.shape[^1]));
        return flat.reshape(z.shape[..^1].Append(flat.shape[^1]).ToArray()).MoveToOuterDisposeScope();
    }

    /// <summary>E[x | z, c] for latents z of shape [..., D].</summary>
    public Tensor DecodeMean(Tensor z, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        return Likelihood.Mean(Decode(z, condition)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The ELBO with reparameterised samples (<paramref name="samples"/> per example) for E_q[log p(x|z)], the KL through
    /// the KL registry (analytic when the posterior/prior pair has a closed form, Monte Carlo otherwise), weighted for
    /// training by <paramref name="options"/>.
    /// </summary>
    public VaeElboTerms Elbo(Tensor x, VaeElboOptions? options = null, long step = 0, Tensor? condition = null, int samples = 1)
    {
        Likelihood.CheckSupport(x, GetName());
        return ElboOfCheckedInputs(x, options, step, condition, samples);
    }

    /// <summary><see cref="Elbo"/> for inputs whose support the caller has checked: the fits check the whole training set once
    /// instead of every minibatch (a reduction and a read-back per step).</summary>
    internal VaeElboTerms ElboOfCheckedInputs(Tensor x, VaeElboOptions? options, long step, Tensor? condition, int samples)
    {
        Check.Positive(samples, GetName(), "samples");
        using var scope = NewDisposeScope();
        var (q, logVariance) = PosteriorAndLogVariance(x, condition);
        Tensor z = q.RSample(samples);                                        // [S, B, D]
        Tensor logLikelihood = DecodedLogLikelihood(z, x, condition);                // [S, B]
        Tensor reconstruction = samples == 1 ? logLikelihood.squeeze(0) : logLikelihood.mean(new long[] { 0 });
        Tensor kl = prior is null
            ? LatentKL.ToStandardNormal(q.Loc, logVariance)
            : LatentKL.PerDimension(q, prior, (options ?? new VaeElboOptions()).MonteCarloKLSamples);
        VaeElboTerms t = VaeElbo.Compute(reconstruction, kl, options, step);
        return new VaeElboTerms(t.Loss.MoveToOuterDisposeScope(), t.Elbo.MoveToOuterDisposeScope(),
            t.Reconstruction.MoveToOuterDisposeScope(), t.KL.MoveToOuterDisposeScope(), t.KLWeight);
    }

    /// <summary>Rows of decoder input per block of <see cref="DecodedLogLikelihood"/> without gradients.</summary>
    internal const long NoGradBlockRows = 512;

    /// <summary>
    /// log p(x | z) for draws z [S, B, D]: shape [S, B]. Without gradients and with more than <see cref="NoGradBlockRows"/>
    /// rows, the draws are decoded in blocks of ceil(512 / B) draws into one result, so the decoder's activations and the
    /// likelihood's temporaries are [block B, ...] instead of [S B, ...] (the VAE benchmark's evaluation: 550 rows instead of
    /// 5,000 of 784 pixels); the same numbers, each row computed by the same operations.
    /// </summary>
    Tensor DecodedLogLikelihood(Tensor z, Tensor x, Tensor? condition)
    {
        long draws = z.shape[0], batch = z.dim() == 3 ? z.shape[1] : 1;
        long perBlock = Math.Max(1, (NoGradBlockRows + batch - 1) / batch);
        if (is_grad_enabled() || z.dim() != 3 || perBlock >= draws) return Likelihood.LogLikelihood(Decode(z, condition), x);
        Tensor? result = null;
        for (long start = 0; start < draws; start += perBlock)
        {
            using var block = NewDisposeScope();
            long count = Math.Min(perBlock, draws - start);
            Tensor part = Likelihood.LogLikelihood(Decode(z.narrow(0, start, count), condition), x);
            if (result is null)
            {
                result = empty(new[] { draws }.Concat(part.shape.Skip(1)).ToArray(), dtype: part.dtype, device: part.device)
                    .MoveToOuterDisposeScope();
            }
            result.narrow(0, start, count).copy_(part);
        }
        return result!;
    }

    /// <summary>log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for <paramref name="k"/> posterior samples: shape [k, B].</summary>
    public Tensor LogWeights(Tensor x, int k, Tensor? condition = null)
    {
        Check.Positive(k, GetName(), "k");
        Likelihood.CheckSupport(x, GetName());
        using var scope = NewDisposeScope();
        Normal q = Posterior(x, condition);
        Tensor z = q.RSample(k);
        Tensor logW = DecodedLogLikelihood(z, x, condition) + LatentKL.PriorLogProb(Prior(x), z) - q.LogProb(z).sum(-1);
        return logW.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The IWAE bound L_k(x) per example, shape [B] (Burda et al. 2016): differentiable, so -mean is a training
    /// objective; with large k an estimate of log p(x). Samples are drawn in chunks of <paramref name="chunk"/> to bound memory.
    /// </summary>
    public Tensor Iwae(Tensor x, int k, Tensor? condition = null, int chunk = 0)
    {
        Check.Positive(k, GetName(), "k");
        Check.Argument(chunk >= 0, GetName(), "chunk", chunk.ToString(), ">= 0 (0: all k samples at once)");
        using var scope = NewDisposeScope();
        int size = chunk == 0 ? k : Math.Min(chunk, k);
        var parts = new List<Tensor>();
        for (int done = 0; done < k; done += size) parts.Add(LogWeights(x, Math.Min(size, k - done), condition));
        return IwaeBound.FromLogWeights(cat(parts, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>Mean images E[x | z] for <paramref name="n"/> draws z ~ p(z): shape [n, DataFeatures].</summary>
    public Tensor SamplePrior(long n, Tensor? condition = null, Tensor? like = null)
    {
        Check.Positive(n, GetName(), "n");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor reference = like ?? parameters().First();
        Distribution p = Prior(reference);
        Tensor z = p.Sample(n);
        return DecodeMean(z, condition).MoveToOuterDisposeScope();
    }

    /// <summary>E[x | z = mu(x)], the mean reconstruction through the posterior mean.</summary>
    public Tensor Reconstruct(Tensor x, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        return DecodeMean(Posterior(x, condition).Loc, condition).MoveToOuterDisposeScope();
    }

    void CheckInputs(Tensor x, Tensor? condition)
    {
        Check.Argument(x.dim() == 2 && x.shape[1] == DataFeatures, GetName(), "x", $"shape {Check.Shape(x.shape)}",
            $"shape [B, {DataFeatures}]", "Flatten images to rows, e.g. x.reshape(-1, 784).");
        if (ConditionFeatures == 0)
            Check.Argument(condition is null, GetName(), "condition", "a tensor",
                "null (this VAE is unconditional; build it with conditionFeatures > 0)");
        else
            Check.Argument(condition is not null && condition.dim() == 2 && condition.shape[0] == x.shape[0]
                && condition.shape[1] == ConditionFeatures,
                GetName(), "condition", condition is null ? "null" : $"shape {Check.Shape(condition.shape)}",
                $"shape [{x.shape[0]}, {ConditionFeatures}]");
    }
}
