using BayesDL.Distributions;
using BayesDL.KL;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// KL(q || p) summed over elements: the registry's closed form when the pair is registered (Normal-Normal,
/// Normal-Laplace, ...), else the registry's reparameterised Monte Carlo estimate (e.g. the scale mixture).
/// </summary>
internal static class PosteriorKL
{
    internal static Tensor Sum(Distribution q, Distribution p, int samples)
    {
        using var scope = NewDisposeScope();
        Tensor kl = KLDivergence.IsRegistered(q, p)
            ? KLDivergence.Analytic(q, p)
            : KLDivergence.MonteCarlo(q, p, samples).Estimate;
        return kl.sum().MoveToOuterDisposeScope();
    }
}
