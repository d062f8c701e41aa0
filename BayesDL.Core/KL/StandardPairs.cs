using BayesDL.Distributions;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// The closed forms BayesDL ships, registered when <see cref="KLDivergence"/> is first used: the same-family pairs
/// and the cross-family pairs of torch.distributions.kl that exist among BayesDL's families. StudentT, HalfCauchy,
/// ScaleMixtureNormal and RelaxedBernoulli have no closed-form KL: use <see cref="KLDivergence.MonteCarlo"/>.
/// </summary>
internal static class StandardPairs
{
    internal static void RegisterAll()
    {
        // Same family.
        KLDivergence.Register<Normal, Normal>(UnivariateKL.NormalNormal);
        KLDivergence.Register<Laplace, Laplace>(UnivariateKL.LaplaceLaplace);
        KLDivergence.Register<Independent, Independent>(IndependentIndependent);
        KLDivergence.Register<Bernoulli, Bernoulli>(DiscreteKL.BernoulliBernoulli);
        KLDivergence.Register<Categorical, Categorical>(DiscreteKL.CategoricalCategorical);
        KLDivergence.Register<MultivariateNormal, MultivariateNormal>(GaussianKL.FullFull);
        KLDivergence.Register<LowRankMultivariateNormal, LowRankMultivariateNormal>(GaussianKL.LowRankLowRank);
        KLDivergence.Register<MultivariateNormal, LowRankMultivariateNormal>(GaussianKL.Gaussian);
        KLDivergence.Register<LowRankMultivariateNormal, MultivariateNormal>(GaussianKL.Gaussian);
        KLDivergence.Register<LogNormal, LogNormal>(PositiveKL.LogNormalLogNormal);
        KLDivergence.Register<HalfNormal, HalfNormal>(PositiveKL.HalfNormalHalfNormal);
        KLDivergence.Register<Exponential, Exponential>(PositiveKL.ExponentialExponential);
        KLDivergence.Register<Gamma, Gamma>(PositiveKL.GammaGamma);
        KLDivergence.Register<Beta, Beta>(PositiveKL.BetaBeta);
        KLDivergence.Register<Uniform, Uniform>(PositiveKL.UniformUniform);
        KLDivergence.Register<Dirichlet, Dirichlet>(PositiveKL.DirichletDirichlet);

        // Cross families with a finite closed form.
        KLDivergence.Register<Normal, Laplace>(CrossFamilyKL.NormalLaplace);
        KLDivergence.Register<Laplace, Normal>(CrossFamilyKL.ToNormal);
        KLDivergence.Register<Beta, Normal>(CrossFamilyKL.BetaNormal);
        KLDivergence.Register<Exponential, Normal>(CrossFamilyKL.ToNormal);
        KLDivergence.Register<Gamma, Normal>(CrossFamilyKL.GammaNormal);
        KLDivergence.Register<Uniform, Normal>(CrossFamilyKL.ToNormal);
        KLDivergence.Register<Beta, Exponential>(CrossFamilyKL.ToExponential);
        KLDivergence.Register<Gamma, Exponential>(CrossFamilyKL.ToExponential);
        KLDivergence.Register<Uniform, Exponential>(CrossFamilyKL.UniformExponential);
        KLDivergence.Register<Beta, Gamma>(CrossFamilyKL.BetaGamma);
        KLDivergence.Register<Exponential, Gamma>(CrossFamilyKL.ExponentialGamma);
        KLDivergence.Register<Uniform, Gamma>(CrossFamilyKL.UniformGamma);
        KLDivergence.Register<Beta, Uniform>(CrossFamilyKL.BetaUniform);
        KLDivergence.Register<Uniform, Beta>(CrossFamilyKL.UniformBeta);

        // Cross families where p has mass outside q's support: +inf.
        KLDivergence.Register<Normal, Beta>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Normal, Exponential>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Normal, Gamma>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Normal, Uniform>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Laplace, Beta>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Laplace, Exponential>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Laplace, Gamma>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Laplace, Uniform>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Exponential, Beta>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Exponential, Uniform>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Gamma, Beta>(CrossFamilyKL.Infinite);
        KLDivergence.Register<Gamma, Uniform>(CrossFamilyKL.Infinite);
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
