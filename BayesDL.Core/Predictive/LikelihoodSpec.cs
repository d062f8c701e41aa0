namespace BayesDL.Predictive;

/// <summary>A likelihood's kind and fixed settings, as stored in a saved model (learned parameters go with the weights).</summary>
/// <param name="Kind">The likelihood type's name.</param>
/// <param name="Noise">For Gaussian: the <see cref="GaussianNoise"/> mode's name.</param>
/// <param name="Sigma">For Gaussian: the fixed sigma, or the initial value of a learned one.</param>
public sealed record LikelihoodSpec(string Kind, string Noise = "", double Sigma = 1.0);
