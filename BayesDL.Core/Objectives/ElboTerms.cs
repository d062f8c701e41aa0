using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>One minibatch's ELBO pieces; tensors belong to the caller's dispose scope.</summary>
/// <param name="Loss">-(ELBO_batch) / B: the per-example negative ELBO to minimise (scalar).</param>
/// <param name="Elbo">ELBO_batch = sum_i E_q log p(y_i | x_i, w) - share * KL (scalar); batches of an epoch sum to the full ELBO.</param>
/// <param name="ExpectedLogLikelihood">sum over the batch of the Monte Carlo E_q log p(y_i | x_i, w) (scalar).</param>
/// <param name="KL">KL(q || p) of the whole model (scalar).</param>
/// <param name="KLShare">The share of the KL this batch carries.</param>
public sealed record ElboTerms(Tensor Loss, Tensor Elbo, Tensor ExpectedLogLikelihood, Tensor KL, double KLShare);
