namespace BayesDL.Training;

/// <summary>What an epoch callback sees, and one row of the training history.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Elbo">Sum over the epoch's minibatches of ELBO_b: the (noisy) full-data ELBO.</param>
/// <param name="MeanLoss">Mean per-example loss over the epoch.</param>
/// <param name="KL">KL(q || p) at the end of the epoch.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochReport(int Epoch, double Elbo, double MeanLoss, double KL, double Seconds);
