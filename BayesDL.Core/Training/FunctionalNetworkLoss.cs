using BayesDL.Data;
using BayesDL.Networks;
using BayesDL.Predictive;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>
/// The minibatch loss of a <see cref="FunctionalNetwork"/> whose weights are one parameter theta [C, D] (C chains or copies, each a row),
/// for the fits that move theta itself (SWAG, stochastic-gradient MCMC): per chain c, the per-example negative log posterior
/// L_c = −(1/B) Σ_{i ∈ batch} log p(y_i | f_θc(x_i)) − (1/N) log p(θ_c), an unbiased estimate of U(θ_c) / N with
/// U(θ) = −Σ_{i=1}^{N} log p(y_i | f_θ(x_i)) − log p(θ) the full-data potential, so N ∇L_c = ∇Ũ(θ_c), the minibatch gradient scaled to
/// the data set (Welling &amp; Teh 2011). The loss the loop minimises is Σ_c L_c: each chain's gradient is its own.
/// </summary>
internal static class FunctionalNetworkLoss
{
    /// <summary>The run of <paramref name="theta"/> [C, D] on <paramref name="data"/> under <paramref name="likelihood"/> (no learned
    /// parameter).</summary>
    public static TrainingRun Run(string fit, FunctionalNetwork network, Likelihood likelihood, LabeledData data, Parameter theta,
        Action<double>? update)
    {
        Tensor x = data.Inputs, y = data.Targets;
        long n = data.Count, chains = theta.shape[0];
        return new TrainingRun(fit, [theta], [("theta", theta)], n, x.device, (rows, _) =>
        {
            Tensor xb = x.index_select(0, rows), yb = y.index_select(0, rows);
            long b = rows.shape[0];
            Tensor f = network.Forward(theta, xb); // [C, B, ..out]
            Tensor repeated = yb.repeat([chains, .. Enumerable.Repeat(1L, (int)yb.dim() - 1)]);
            Tensor logLikelihood = likelihood.LogLikelihood(f.reshape([chains * b, .. f.shape[2..]]), repeated).view(chains, b);
            Tensor perChain = logLikelihood.mean([1L]).neg() - network.LogPrior(theta) / n;
            return new MinibatchLoss(perChain.sum());
        }, null, CheckpointKind.Trainer, fit, Update: update);
    }
}
