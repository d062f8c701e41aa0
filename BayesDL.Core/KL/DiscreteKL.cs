using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>Closed-form KL between discrete distributions, from log-probabilities (0 log 0 = 0, p log(p/0) = inf).</summary>
internal static class DiscreteKL
{
    /// <summary>KL(Bern(p) || Bern(q)) = p log(p/q) + (1 - p) log((1 - p)/(1 - q)), with log p and log(1 - p) from the stable forms.</summary>
    internal static Tensor BernoulliBernoulli(Bernoulli p, Bernoulli q)
    {
        using var scope = NewDisposeScope();
        Tensor kl = Bernoulli.Xlog(p.Probs, p.LogP - q.LogP) + Bernoulli.Xlog(p.Log1mP.exp(), p.Log1mP - q.Log1mP);
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>KL(Cat(p) || Cat(q)) = sum_k p_k (log p_k - log q_k).</summary>
    internal static Tensor CategoricalCategorical(Categorical p, Categorical q)
    {
        Validation.Check.Argument(p.Categories == q.Categories, nameof(KLDivergence), "q", $"{q.Categories} categories for p's {p.Categories}",
            "the same number of categories as p");
        using var scope = NewDisposeScope();
        return Bernoulli.Xlog(p.Probs, p.LogProbs - q.LogProbs).sum(-1).MoveToOuterDisposeScope();
    }
}
