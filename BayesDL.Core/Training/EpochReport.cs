namespace BayesDL.Training;

/// <summary>What an epoch callback sees, and one row of the training history (saved in checkpoints).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Elbo">Sum over the epoch's minibatches of ELBO_b: the (noisy) full-data ELBO. For a fit whose minibatch loss is not
/// an ELBO the objective reports (the VAE family's per-example negative ELBO, an ensemble member's negative log-likelihood, a
/// custom loss): minus the epoch's summed loss, -Σ_b B_b loss_b.</param>
/// <param name="MeanLoss">Mean per-example loss over the epoch, Σ_b B_b loss_b / N.</param>
/// <param name="KL">KL(q || p) at the end of the epoch; NaN for fits without one global KL term (the VAE family's KL is per
/// example and inside the loss; ensemble members and custom losses have none the loop knows of).</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochReport(int Epoch, double Elbo, double MeanLoss, double KL, double Seconds);
