namespace BayesDL.Builders;

/// <summary>
/// The hyperparameters an MC dropout grid search (<see cref="MCDropoutGridSearch.Choose(IReadOnlyList{double})"/>) chose for one
/// training set: the pair (p, σ) of the highest validation log-likelihood.
/// </summary>
/// <param name="TrainingSet">The index of the training set in the search.</param>
/// <param name="DropoutRate">p, the dropout rate.</param>
/// <param name="NoiseSd">σ, the Gaussian noise sd, on the scale of the training set's targets (precision τ = 1 / σ²).</param>
/// <param name="ValidationLogLikelihood">The mean log-likelihood of the held-out rows under the T-draw mixture with noise σ.</param>
public sealed record MCDropoutChoice(int TrainingSet, double DropoutRate, double NoiseSd, double ValidationLogLikelihood);
