using static TorchSharp.torch;

namespace BayesDL.Calibration;

/// <summary>
/// An inference method as simulation-based calibration sees it (Talts et al. 2018): given one data set y, return
/// draws theta_1..theta_M from its (approximate) posterior p(theta | y), shape [M, D]. A sampler (NUTS, HMC, SGLD) or a
/// variational family fitted to y and then sampled both fit; <see cref="PosteriorSamplers"/> makes them.
/// </summary>
public interface IPosteriorSampler
{
    /// <summary>A label for messages and reports (e.g. "NUTS").</summary>
    string Name { get; }

    /// <summary>
    /// <paramref name="count"/> posterior draws given <paramref name="data"/>, as [count, D]; <paramref name="seed"/> makes
    /// the run repeatable. Draws may be autocorrelated (a Markov chain): <see cref="Sbc.Run"/> thins them.
    /// </summary>
    Tensor Draw(Tensor data, int count, long seed);
}
