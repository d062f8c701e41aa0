namespace BayesDL.Builders;

/// <summary>
/// The observation model p(y | f(x)) a declared network's output feeds, and the output it needs:
/// Gaussian N(y; f(x), sigma^2) (any width); heteroscedastic N(y; mu(x), exp(s(x))) with f(x) = [mu, s]
/// (Kendall &amp; Gal 2017; even width); Bernoulli(sigmoid(f(x))) and Categorical(softmax(f(x))) read
/// logits, so the network must not end in a sigmoid or softmax.
/// </summary>
public sealed record LikelihoodSpec(LikelihoodSpec.Family Kind, double NoiseStd = 1.0, bool LearnNoise = false)
{
    /// <summary>The likelihood families.</summary>
    public enum Family { Gaussian, Heteroscedastic, Bernoulli, Categorical }

    /// <summary>A readable name, e.g. <c>Gaussian(sigma = 0.5)</c>.</summary>
    public string Name => Kind switch
    {
        Family.Gaussian => LearnNoise ? "Gaussian(learned sigma)" : $"Gaussian(sigma = {NoiseStd})",
        _ => Kind.ToString(),
    };

    /// <summary>Why this likelihood cannot read an output of <paramref name="output"/> from <paramref name="last"/>, or null.</summary>
    internal string? Mismatch(IReadOnlyList<long> output, LayerSpec last)
    {
        string shape = Shapes.Format(output), layer = $"the output layer '{last.Name}'";
        if (Kind == Family.Gaussian && !(NoiseStd > 0 && double.IsFinite(NoiseStd)))
            return $"{Name}: the noise standard deviation must be a finite number > 0; found {NoiseStd}.";
        if (output.Count != 1)
            return $"{Name} needs one feature vector per example, but {layer} outputs {shape}. Add a Flatten and a Linear layer before it.";
        long width = output[0];
        if (last is ActivationSpec { Kind: Activation.Softmax or Activation.Sigmoid } && Kind is Family.Categorical or Family.Bernoulli)
            return $"{Name} reads logits, but {layer} outputs probabilities {shape}. Remove the final {last.Name}.";
        return Kind switch
        {
            Family.Categorical when width < 2 => $"{Name} needs one logit per class (>= 2), but {layer} outputs {shape}. Use Bernoulli for one logit, or widen the last layer to the number of classes.",
            Family.Heteroscedastic when width % 2 != 0 => $"{Name} needs [mean, log-variance] pairs (an even width 2k), but {layer} outputs {shape}. Make the last layer's width {2 * width}.",
            _ => null,
        };
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
