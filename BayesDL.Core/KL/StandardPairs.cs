using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// The closed forms BayesDL ships, registered when <see cref="KLDivergence"/> is first used: the same-family pairs
/// and the cross-family pairs of torch.distributions.kl that exist among BayesDL's families.
/// </summary>
internal static class StandardPairs
{
    internal static void RegisterAll()
    {
        KLDivergence.Register<Normal, Normal>(UnivariateKL.NormalNormal);
        KLDivergence.Register<Laplace, Laplace>(UnivariateKL.LaplaceLaplace);
        KLDivergence.Register<Independent, Independent>(IndependentIndependent);
        KLDivergence.Register<Bernoulli, Bernoulli>(DiscreteKL.BernoulliBernoulli);
        KLDivergence.Register<Categorical, Categorical>(DiscreteKL.CategoricalCategorical);
    }

    /// <summary>KL of products of independent factors is the sum of the factors' KLs over the reinterpreted dimensions.</summary>
    static Tensor IndependentIndependent(Independent p, Independent q)
    {
        Validation.Check.Argument(p.ReinterpretedBatchDims == q.ReinterpretedBatchDims, nameof(KLDivergence), "q",
            $"{q.ReinterpretedBatchDims} reinterpreted batch dimensions for p's {p.ReinterpretedBatchDims}",
            "the same number of reinterpreted batch dimensions as p");
        return p.SumReinterpreted(KLDivergence.Analytic(p.Base, q.Base));
    }
}
