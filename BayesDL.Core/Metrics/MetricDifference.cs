namespace BayesDL.Metrics;

/// <summary>
/// One metric of two classifiers scored on the same inputs (<see cref="PairedBootstrap.Compare"/>): both values, their
/// difference A - B, its bootstrap standard error, and the fraction of bootstrap resamples in which A - B was below zero.
/// </summary>
/// <param name="Metric">"accuracy", "nll", "brier" or "ece".</param>
/// <param name="A">The metric of the first predictive on all inputs.</param>
/// <param name="B">The metric of the second predictive on all inputs.</param>
/// <param name="Difference">A - B.</param>
/// <param name="StandardError">The standard deviation of A - B over the resamples.</param>
/// <param name="FractionBelowZero">The fraction of resamples with A - B &lt; 0 (near 1: A is lower on almost any test set like
/// this one; near 0.5: the test set cannot tell them apart).</param>
public sealed record MetricDifference(string Metric, double A, double B, double Difference, double StandardError,
    double FractionBelowZero);
