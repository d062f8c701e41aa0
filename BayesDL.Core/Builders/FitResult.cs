using BayesDL.Training;

namespace BayesDL.Builders;

/// <summary>A fitted model and one report per training epoch (ELBO, mean loss, KL, seconds).</summary>
public sealed record FitResult(BuiltModel Model, IReadOnlyList<EpochReport> Epochs);
