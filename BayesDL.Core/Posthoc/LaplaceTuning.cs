namespace BayesDL.Posthoc;

/// <summary>What <see cref="LaplacePosterior.Tune"/> did: the log evidence before and after, and the hyperparameters it chose.</summary>
/// <param name="InitialLogEvidence">log p(D) at the options' prior precision and the likelihood's sigma.</param>
/// <param name="LogEvidence">log p(D) at the tuned values.</param>
/// <param name="PriorPrecision">The tuned delta: one value, or one per dense layer of the subset.</param>
/// <param name="NoiseSigma">The (tuned) Gaussian noise sd; null for a classifier.</param>
/// <param name="Steps">The Adam steps taken.</param>
public sealed record LaplaceTuning(double InitialLogEvidence, double LogEvidence, IReadOnlyList<double> PriorPrecision, double? NoiseSigma,
    int Steps);
