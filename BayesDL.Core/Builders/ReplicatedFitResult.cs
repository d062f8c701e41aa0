using BayesDL.Training;

namespace BayesDL.Builders;

/// <summary>
/// The fitted models of a replicated fit (<see cref="SequentialBuilder.FitMCDropoutReplicas"/>), in the replicas' order, each an
/// ordinary model holding its own weights, and one report per epoch of the joint training (its loss the sum of the replicas'
/// per-example losses). The caller disposes the models.
/// </summary>
public sealed record ReplicatedFitResult(IReadOnlyList<BuiltModel> Models, IReadOnlyList<EpochReport> Epochs);
