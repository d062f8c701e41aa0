using BayesDL.Predictive;

namespace BayesDL.Posthoc;

/// <summary>
/// What a model file stores of a <see cref="LaplacePosterior"/> beside the network and the Hessian's tensors: its options, the
/// per-example input shape, the likelihood, the (tuned) prior precision and noise sd, and the training set's size and fit term
/// (log p(D | theta*) for a classifier, the residual sum of squares for a Gaussian likelihood) that the log evidence reads.
/// </summary>
internal sealed record LaplaceRecord(LaplaceOptions Options, long[] InputShape, LikelihoodKind Likelihood, double[] PriorPrecision,
    double? NoiseSigma, long Count, double FitTerm);
