using BayesDL.Objectives;
using BayesDL.Predictive;

namespace BayesDL.Builders;

/// <summary>
/// Factories for the likelihood a declared model uses, as <see cref="LikelihoodSpec"/> descriptions (the module
/// is made at build time by <see cref="Likelihood.FromSpec"/>, so every build gets its own learned noise).
/// </summary>
public static class Likelihoods
{
    /// <summary>y ~ N(f(x), noiseStd^2) with a fixed noise standard deviation.</summary>
    public static LikelihoodSpec Gaussian(double noiseStd) => new(LikelihoodKind.Gaussian, GaussianNoise.Fixed, noiseStd);

    /// <summary>y ~ N(f(x), sigma^2) with one sigma learned with the weights, started at <paramref name="initialStd"/>.</summary>
    public static LikelihoodSpec GaussianLearned(double initialStd = 1.0) =>
        new(LikelihoodKind.Gaussian, GaussianNoise.Homoscedastic, initialStd);

    /// <summary>y ~ N(mu(x), sigma(x)^2): the network predicts the mean and a raw scale per target (Kendall &amp; Gal 2017).</summary>
    public static LikelihoodSpec Heteroscedastic() => new(LikelihoodKind.Gaussian, GaussianNoise.Heteroscedastic);

    /// <summary>y ~ Bernoulli(sigmoid(f(x))), f(x) logits.</summary>
    public static LikelihoodSpec Bernoulli() => new(LikelihoodKind.Bernoulli);

    /// <summary>y ~ Categorical(softmax(f(x))), f(x) logits, one per class.</summary>
    public static LikelihoodSpec Categorical() => new(LikelihoodKind.Categorical);
}
