using BayesDL.Engine;
using BayesDL.Mcmc;
using BayesDL.Networks;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// MCMC on a declared network: <c>builder.SampleHmc(x, y, new HmcOptions(Samples: 500))</c> samples the posterior
/// over all weights of <c>ModelBuilder.Sequential().Linear(1, 8).Tanh().Linear(8, 1).WithLikelihood(Likelihoods.Gaussian(0.1))</c>
/// (see <see cref="NetworkLogDensity"/> for the target), the same declaration Bayes by Backprop fits with
/// <see cref="SequentialBuilder.FitVariational"/>.
/// </summary>
public static class NetworkSampling
{
    const string Who = nameof(NetworkLogDensity);

    /// <summary>
    /// The posterior of <paramref name="builder"/>'s network as an MCMC target (<see cref="NetworkLogDensity"/>) on data x
    /// [N, ..input] and y ([N] or [N, out] for Gaussian; class indices [N] for Categorical). Every layer must have a
    /// functional form (<see cref="FunctionalNetwork"/>: no dropout); each weight's prior is its layer's own, else the
    /// declaration's <see cref="SequentialBuilder.Prior"/>. The declaration's variational family is ignored: it describes an
    /// approximation q, while MCMC samples p(theta | y) itself. The data's device and dtype become the target's (float64
    /// recommended). Throws <see cref="ArgumentException"/> naming the layer, likelihood or shape that does not fit.
    /// </summary>
    public static NetworkLogDensity LogDensity(this SequentialBuilder builder, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var errors = builder.Validate();
        Validation.Check.Argument(errors.Count == 0, Who, nameof(builder), string.Join(" ", errors.Select(e => e.Message)),
            "a valid declaration");
        Validation.Check.Argument(builder.HasLikelihood, Who, nameof(builder), "no likelihood", "a declaration with a likelihood",
            "Add WithLikelihood(Likelihoods.Gaussian(sigma)) or WithLikelihood(Likelihoods.Categorical()).");
        var meanField = builder.WithVariational(VariationalFamily.MeanField);
        // The modules are made only to read the layers' functional forms; theta replaces their weights.
        using var network = meanField.BuildNetwork(new ComputePolicy(x.device, x.is_floating_point() ? x.dtype : get_default_dtype()));
        var functional = FunctionalNetwork.From(network, builder.ResolvedInput(), builder.Prior,
            builder.Layers.Select(l => l.Name).ToArray());
        return NetworkLogDensity.From(functional, builder.Likelihood, x, y);
    }

    /// <summary>Static HMC (<see cref="HamiltonianMonteCarlo"/>) on the network's posterior; x, y as in <see cref="LogDensity"/>.</summary>
    public static NetworkPosterior SampleHmc(this SequentialBuilder builder, Tensor x, Tensor y,
        HmcOptions? options = null, Tensor? initialPosition = null)
    {
        var network = builder.LogDensity(x, y);
        return new(network, HamiltonianMonteCarlo.Sample(network.Target, options, initialPosition));
    }

    /// <summary>NUTS (<see cref="NoUTurnSampler"/>) on the network's posterior; x, y as in <see cref="LogDensity"/>.</summary>
    public static NetworkPosterior SampleNuts(this SequentialBuilder builder, Tensor x, Tensor y,
        HmcOptions? options = null, Tensor? initialPosition = null)
    {
        var network = builder.LogDensity(x, y);
        return new(network, NoUTurnSampler.Sample(network.Target, options, initialPosition));
    }
}
