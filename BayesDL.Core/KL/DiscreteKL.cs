using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>Closed-form KL between discrete distributions, from log-probabilities (0 log 0 = 0, p log(p/0) = inf).</summary>
internal static class DiscreteKL
{
    /// <summary>
    /// KL(Bern(p) || Bern(q)) = p log(p/q) + (1 - p) log((1 - p)/(1 - q)), summed over the two outcomes as
    /// <see cref="KLNumerics.WeightedEntropyGap"/> terms (p log(p/q) - p + q, each non-negative; the -p + q parts cancel
    /// in the sum), with log p and log(1 - p) from the stable forms of the parameterisation: never negative, exactly 0 at p = q.
    /// </summary>
    internal static Tensor BernoulliBernoulli(Bernoulli p, Bernoulli q)
    {
        using var scope = NewDisposeScope();
        Tensor one = KLNumerics.WeightedEntropyGap(p.Probs, q.Probs, p.LogP - q.LogP);
        Tensor zero = KLNumerics.WeightedEntropyGap(p.Log1mP.exp(), q.Log1mP.exp(), p.Log1mP - q.Log1mP);
        return (one + zero).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(Cat(p) || Cat(q)) = sum_k p_k (log p_k - log q_k), summed as non-negative terms p_k log(p_k/q_k) - p_k + q_k
    /// (<see cref="KLNumerics.WeightedEntropyGap"/>; the added terms sum to 0): never negative, exactly 0 at p = q.
    /// </summary>
    internal static Tensor CategoricalCategorical(Categorical p, Categorical q)
    {
        Validation.Check.Argument(p.Categories == q.Categories, nameof(KLDivergence), "q", $"{q.Categories} categories for p's {p.Categories}",
            "the same number of categories as p");
        using var scope = NewDisposeScope();
        return KLNumerics.WeightedEntropyGap(p.Probs, q.Probs, p.LogProbs - q.LogProbs).sum(-1).MoveToOuterDisposeScope();
    }
}
