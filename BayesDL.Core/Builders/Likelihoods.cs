namespace BayesDL.Builders;

/// <summary>Factories for the likelihoods a model can declare (see <see cref="LikelihoodSpec"/> for the math).</summary>
public static class Likelihoods
{
    /// <summary>y ~ N(f(x), noiseStd^2) with a fixed noise standard deviation.</summary>
    public static LikelihoodSpec Gaussian(double noiseStd = 1.0) => new(LikelihoodSpec.Family.Gaussian, noiseStd);

    /// <summary>y ~ N(f(x), sigma^2) with sigma learned (homoscedastic), started at <paramref name="initialStd"/>.</summary>
    public static LikelihoodSpec GaussianLearned(double initialStd = 1.0) => new(LikelihoodSpec.Family.Gaussian, initialStd, LearnNoise: true);

    /// <summary>y ~ N(mu(x), exp(s(x))): the network predicts the mean and the log-variance.</summary>
    public static LikelihoodSpec Heteroscedastic() => new(LikelihoodSpec.Family.Heteroscedastic);

    /// <summary>y ~ Bernoulli(sigmoid(f(x))), f(x) logits.</summary>
    public static LikelihoodSpec Bernoulli() => new(LikelihoodSpec.Family.Bernoulli);

    /// <summary>y ~ Categorical(softmax(f(x))), f(x) logits, one per class.</summary>
    public static LikelihoodSpec Categorical() => new(LikelihoodSpec.Family.Categorical);
}
