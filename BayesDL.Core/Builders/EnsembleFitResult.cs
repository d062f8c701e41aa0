using BayesDL.Inference;

namespace BayesDL.Builders;

/// <summary>A fitted deep ensemble and, per member, the mean training loss (negative log-likelihood per example) of every epoch.</summary>
public sealed record EnsembleFitResult(DeepEnsemble Ensemble, IReadOnlyList<IReadOnlyList<double>> MemberLosses);
