using BayesDL.Networks;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Validation;

namespace BayesDL.Builders;

/// <summary>
/// Whether a likelihood (described by its <see cref="LikelihoodSpec"/>) can read a network's output: Gaussian
/// N(y; f(x), sigma^2) reads any feature vector; heteroscedastic Gaussian reads [mean, raw scale] pairs (even width,
/// Kendall &amp; Gal 2017); Bernoulli(sigmoid(f)) and Categorical(softmax(f)) read logits, so the network must not
/// end in a sigmoid or softmax, and Categorical needs one logit per class.
/// </summary>
internal static class LikelihoodFit
{
    public static string Name(LikelihoodSpec spec) => spec.DisplayName;

    /// <summary>Why <paramref name="spec"/> cannot read an output of <paramref name="output"/> from
    /// <paramref name="last"/>, or null.</summary>
    public static string? Mismatch(LikelihoodSpec spec, IReadOnlyList<long> output, LayerSpec last)
    {
        string name = Name(spec), shape = Check.Shape(output), layer = $"the output layer '{last.Name}'";
        bool gaussian = spec.Kind == LikelihoodKind.Gaussian;
        if (!Enum.IsDefined(spec.Kind) || (gaussian && !Enum.IsDefined(spec.Noise)))
            return $"{name}: unknown likelihood kind or noise ({spec.Kind}, {spec.Noise}); use the Likelihoods factories.";
        if (gaussian && !(spec.Sigma > 0 && double.IsFinite(spec.Sigma)))
            return $"{name}: the noise standard deviation must be a finite number > 0; found {spec.Sigma}.";
        if (output.Count != 1)
            return $"{name} needs one feature vector per example, but {layer} outputs {shape}. Add a Flatten and a Linear layer before it.";
        long width = output[0];
        if (!gaussian && last.OutputsProbabilities)
            return $"{name} reads logits, but {layer} outputs probabilities {shape}. Remove the final {last.Name}.";
        if (spec.Kind == LikelihoodKind.Categorical && width < 2)
            return $"{name} needs one logit per class (>= 2), but {layer} outputs {shape}. Use Bernoulli for one logit, or widen the " +
                "last layer to the number of classes.";
        if (gaussian && spec.Noise == GaussianNoise.Heteroscedastic && width % 2 != 0)
            return $"{name} needs a mean and a raw scale per target (an even width 2D), but {layer} outputs {shape}. Make the " +
                $"last layer's width {2 * width}.";
        return null;
    }
}
