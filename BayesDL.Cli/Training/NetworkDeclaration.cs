using BayesDL.Builders;
using BayesDL.Networks;

namespace BayesDL.Cli.Training;

/// <summary>
/// The builders' declarations of a <see cref="TrainOptions"/> network: dense layers of the given widths with the activation (a
/// registered element-wise kind, <see cref="LayerKinds.Activations"/>) between them (none after the last, whose outputs are logits
/// or the likelihood's parameters).
/// </summary>
internal static class NetworkDeclaration
{
    /// <summary>Bayes by Backprop: BayesLinear layers (N(0, 1) prior, mean-field Gaussian posterior).</summary>
    public static SequentialBuilder Variational(long[] widths, ElementwiseKind activation) =>
        Chain(widths, activation, (b, i, o) => b.BayesLinear(i, o));

    /// <summary>Deterministic Linear layers (ensemble members; with the dropout family, MC dropout), started as asked.</summary>
    public static SequentialBuilder Deterministic(long[] widths, ElementwiseKind activation, WeightInitialization initialization) =>
        Chain(widths, activation, (b, i, o) => b.Linear(i, o)).WithInitialization(initialization);

    /// <summary>
    /// A VAE of the widths x, h_1, ..., h_k, z (at least three): the encoder x -&gt; h_k (the Gaussian head maps h_k to z's
    /// mean and scale), the decoder the mirror image z -&gt; h_k -&gt; ... -&gt; x (Bernoulli logits per feature), N(0, I) prior.
    /// </summary>
    public static VaeBuilder Vae(long[] widths, ElementwiseKind activation, WeightInitialization initialization)
    {
        long[] encoder = widths[..^1];
        var hidden = Deterministic(encoder, activation, initialization).Add(activation.Spec);
        var decoder = Deterministic([.. widths.Reverse()], activation, initialization);
        return ModelBuilder.Vae(hidden, decoder, widths[^1]);
    }

    static SequentialBuilder Chain(long[] widths, ElementwiseKind activation, Func<SequentialBuilder, long, long, SequentialBuilder> layer)
    {
        var builder = ModelBuilder.Sequential();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            if (i > 0) builder = builder.Add(activation.Spec);
            builder = layer(builder, widths[i], widths[i + 1]);
        }
        return builder;
    }
}
