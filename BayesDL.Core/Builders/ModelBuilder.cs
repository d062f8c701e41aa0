namespace BayesDL.Builders;

/// <summary>
/// Entry point of the fluent model API:
/// <c>ModelBuilder.Sequential().Linear(784, 400).Relu().Linear(400, 10).WithLikelihood(Likelihoods.Categorical()).Build()</c>.
/// </summary>
public static class ModelBuilder
{
    /// <summary>An empty feed-forward declaration.</summary>
    public static SequentialBuilder Sequential() => SequentialBuilder.Empty;

    /// <summary>An empty declaration with a fixed per-example input shape, e.g. <c>Sequential(1, 28, 28)</c>.</summary>
    public static SequentialBuilder Sequential(params long[] inputShape) => SequentialBuilder.Empty.Input(inputShape);

    /// <summary>
    /// A VAE from declared networks, e.g.
    /// <c>ModelBuilder.Vae(Sequential().Linear(784, 400).Relu(), Sequential().Linear(20, 400).Relu().Linear(400, 784), latent:
    /// 20).Build()</c>; Bernoulli likelihood and N(0, I) prior unless declared.
    /// </summary>
    public static VaeBuilder Vae(SequentialBuilder encoder, SequentialBuilder decoder, long latent) =>
        new(encoder, decoder, latent, new Models.BernoulliDecoder(), null);
}
