using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>The pieces of one ELBO evaluation on a batch.</summary>
/// <param name="Loss">Scalar to minimise: -mean reconstruction + KLWeight * (free-bits) KL, see <see cref="VaeElboOptions"/>.</param>
/// <param name="Elbo">Per-example bound E_q[log p(x|z)] - KL(q(z|x) || p(z)), shape [B].</param>
/// <param name="Reconstruction">Per-example E_q[log p(x|z)] (Monte Carlo over the samples drawn), shape [B].</param>
/// <param name="KL">Per-example KL(q(z|x) || p(z)), shape [B].</param>
/// <param name="KLWeight">The weight beta_t used in <paramref name="Loss"/>.</param>
public sealed record VaeElboTerms(Tensor Loss, Tensor Elbo, Tensor Reconstruction, Tensor KL, double KLWeight);
