using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>KL(q || p) summed over elements: closed form for (Normal, Normal), Monte Carlo otherwise.</summary>
internal static class PosteriorKL
{
    internal static Tensor Sum(Distribution q, Distribution p, int samples)
    {
        using var scope = NewDisposeScope();
        Tensor kl;
        if (q is Normal nq && p is Normal np)
        {
            // KL(N(m1, s1^2) || N(m2, s2^2)) = log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2
            Tensor ratio = (nq.Scale / np.Scale).square();
            kl = 0.5 * (ratio + ((nq.Loc - np.Loc) / np.Scale).square() - 1.0 - ratio.log());
        }
        else
        {
            Tensor x = q.RSample(samples);
            kl = (q.LogProb(x) - p.LogProb(x)).mean(new long[] { 0 });
        }
        return kl.sum().MoveToOuterDisposeScope();
    }
}
