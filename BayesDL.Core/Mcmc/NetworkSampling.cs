using BayesDL.Builders;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// MCMC on a declared network: <c>builder.SampleHmc(x, y, new HmcOptions(Samples: 500))</c> samples the posterior
/// over all weights of <c>ModelBuilder.Sequential().Linear(1, 8).Tanh().Linear(8, 1).WithLikelihood(Likelihoods.Gaussian(0.1))</c>
/// (see <see cref="NetworkLogDensity"/> for the target), the same declaration Bayes by Backprop fits with
/// <see cref="SequentialBuilder.FitVariational"/>.
/// </summary>
public static class NetworkSampling
{
    /// <summary>Static HMC (<see cref="HamiltonianMonteCarlo"/>) on the network's posterior; x, y as in <see cref="NetworkLogDensity.From"/>.</summary>
    public static NetworkPosterior SampleHmc(this SequentialBuilder builder, Tensor x, Tensor y, HmcOptions? options = null, Tensor? initialPosition = null)
    {
        var network = NetworkLogDensity.From(builder, x, y);
        return new(network, HamiltonianMonteCarlo.Sample(network.Target, options, initialPosition));
    }

    /// <summary>NUTS (<see cref="NoUTurnSampler"/>) on the network's posterior; x, y as in <see cref="NetworkLogDensity.From"/>.</summary>
    public static NetworkPosterior SampleNuts(this SequentialBuilder builder, Tensor x, Tensor y, HmcOptions? options = null, Tensor? initialPosition = null)
    {
        var network = NetworkLogDensity.From(builder, x, y);
        return new(network, NoUTurnSampler.Sample(network.Target, options, initialPosition));
    }
}
