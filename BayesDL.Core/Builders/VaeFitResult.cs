namespace BayesDL.Builders;

/// <summary>A fitted model of the VAE family (VAE, conditional VAE, M2) and the mean training loss of every epoch
/// (nats per example).</summary>
public sealed record VaeFitResult<TModel>(TModel Model, IReadOnlyList<double> EpochLosses);
