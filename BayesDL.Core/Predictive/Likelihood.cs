using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Predictive;

/// <summary>
/// The observation model p(y | f(x; w)) that reads a network's raw output f. It scores targets (the data term of
/// the ELBO) and turns T stochastic outputs into a <see cref="PredictiveSamples"/>. A module, so learned noise
/// parameters are trained and saved with the model.
/// </summary>
public abstract class Likelihood : nn.Module
{
    /// <summary>Names the module.</summary>
    protected Likelihood(string name) : base(name) { }

    /// <summary>log p(y_i | f_i) per example, shape [B], differentiable in the output and the likelihood's parameters.</summary>
    public abstract Tensor LogLikelihood(Tensor output, Tensor target);

    /// <summary>The predictive samples for stacked outputs [T, N, ...] of T stochastic forward passes; no gradient.</summary>
    public abstract PredictiveSamples Predictive(Tensor outputs);

    /// <summary>Kind and fixed settings, for saving the model.</summary>
    public abstract LikelihoodSpec Describe();

    /// <summary>Gaussian y ~ N(mean, sigma^2) with fixed, learned homoscedastic or predicted heteroscedastic sigma.</summary>
    public static GaussianLikelihood Gaussian(GaussianNoise noise = GaussianNoise.Homoscedastic, double sigma = 1.0) => new(noise, sigma);

    /// <summary>Bernoulli y in {0, 1} with p = sigmoid(output).</summary>
    public static BernoulliLikelihood Bernoulli() => new();

    /// <summary>Categorical y in {0..C-1} with p = softmax(output).</summary>
    public static CategoricalLikelihood Categorical() => new();

    /// <summary>Rebuilds a likelihood from its saved description.</summary>
    public static Likelihood FromSpec(LikelihoodSpec spec) => spec.Kind switch
    {
        LikelihoodKind.Gaussian => new GaussianLikelihood(spec.Noise, spec.Sigma),
        LikelihoodKind.Bernoulli => new BernoulliLikelihood(),
        LikelihoodKind.Categorical => new CategoricalLikelihood(),
        _ => throw Check.Error(nameof(Likelihood), nameof(spec), $"kind {spec.Kind}", "a LikelihoodKind value",
            "Describe the likelihood with the Likelihoods factories."),
    };

    /// <summary>Checks that output and target have the same number of rows.</summary>
    protected void RequireRows(Tensor output, Tensor target)
    {
        Check.Argument(output.dim() >= 1 && target.dim() >= 1 && output.shape[0] == target.shape[0], GetType().Name, "target",
            "shape " + Check.Shape(target.shape),
            $"one row per output row (output shape {Check.Shape(output.shape)})");
    }
}
