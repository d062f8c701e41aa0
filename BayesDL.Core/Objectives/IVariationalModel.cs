using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// What the ELBO needs of a model with a posterior over its weights: S stochastic forward passes, the likelihood
/// p(y | f) that scores them, and KL(q(w) || p(w)) summed over the variational layers. The objectives depend on this,
/// not on a concrete network type, so any model (the builders' <c>BayesianNetwork</c>, a user's own module) can be trained.
/// </summary>
public interface IVariationalModel
{
    /// <summary>The likelihood that reads the network's raw outputs.</summary>
    Likelihood Likelihood { get; }

    /// <summary>S stochastic passes f(x; w_s), w_s ~ q(w), for a batch [B, ...]: shape [S, B, ...output].</summary>
    Tensor ForwardDraws(Tensor inputs, int draws);

    /// <summary>KL(q(w) || p(w)) summed over every variational layer (a scalar, differentiable in q's parameters).</summary>
    Tensor KL();
}
