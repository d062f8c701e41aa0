namespace BayesDL.Predictive;

/// <summary>The observation models p(y | f(x)) a <see cref="LikelihoodSpec"/> describes.</summary>
public enum LikelihoodKind
{
    /// <summary>y ~ N(f(x), sigma^2) (<see cref="GaussianLikelihood"/>; its <see cref="GaussianNoise"/> says where
    /// sigma comes from).</summary>
    Gaussian,

    /// <summary>y ~ Bernoulli(sigmoid(f(x))) (<see cref="BernoulliLikelihood"/>).</summary>
    Bernoulli,

    /// <summary>y ~ Categorical(softmax(f(x))) (<see cref="CategoricalLikelihood"/>).</summary>
    Categorical,
}
