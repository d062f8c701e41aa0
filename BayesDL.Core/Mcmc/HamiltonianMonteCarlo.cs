using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Hamiltonian Monte Carlo (Duane et al. 1987; Neal 2011): draws from p(theta | y) proportional to p~(theta)
/// by simulating H(q, p) = -log p~(q) + p^T M^-1 p / 2 with fresh momenta p ~ N(0, M) and <see cref="HmcOptions.LeapfrogSteps"/>
/// leapfrog steps, accepting the end point with probability min(1, exp(H_start - H_end)). Gradients come from
/// autograd; chains run as one batch. Warm-up adapts the step size by dual averaging and a diagonal M^-1
/// (regularised posterior variances) in Stan's windows. This is how MCMC sidesteps the intractable evidence
/// p(y): the acceptance ratio only involves ratios of p~, in which p(y) cancels.
/// </summary>
public static class HamiltonianMonteCarlo
{
    /// <summary>
    /// Runs <see cref="HmcOptions.Chains"/> chains on <paramref name="target"/>. <paramref name="initialPosition"/>:
    /// [D] (all chains) or [chains, D]; default uniform in [-r, r]^D. Throws <see cref="ArgumentException"/> for bad
    /// options or a log density (or gradient) that is not finite at a chain's initial position.
    /// </summary>
    public static McmcResult Sample(LogDensity target, HmcOptions? options = null, Tensor? initialPosition = null)
    {
        options ??= new HmcOptions();
        return AdaptiveSampler.Run(nameof(HamiltonianMonteCarlo), target, options, initialPosition,
            (state, eps, invMass, rng) => Step(target, options, state, eps, invMass, rng));
    }

    /// <summary>One static-HMC transition of every chain at once, with a Metropolis accept/reject per chain.</summary>
    static Transition Step(LogDensity target, HmcOptions options, ChainState state, double[] eps, Tensor invMass, Random rng)
    {
        ComputePolicy policy = target.Policy;
        int c = eps.Length, d = target.Dimension;
        Tensor momentum = randn(c, d, dtype: policy.Dtype, device: policy.Device) / invMass.sqrt();
        Tensor start = Leapfrog.Kinetic(momentum, invMass) - state.LogDensity;
        int steps = options.RandomizeSteps ? rng.Next(1, options.LeapfrogSteps + 1) : options.LeapfrogSteps;
        var end = Leapfrog.Integrate(target, state.Position, momentum, state.Gradient, policy.Tensor(eps, c, 1), invMass, steps);
        double[] energyError = AdaptiveSampler.Host(Leapfrog.Kinetic(end.Momentum, invMass) - end.LogDensity - start);

        var accept = new bool[c];
        var probability = new double[c];
        var divergedFrom = new double[]?[c];
        double[]? origin = null;
        for (int j = 0; j < c; j++)
        {
            double e = energyError[j];
            probability[j] = double.IsFinite(e) ? Math.Min(1, Math.Exp(-e)) : 0;
            accept[j] = rng.NextDouble() < probability[j];
            if (e <= options.MaxEnergyError) continue;
            origin ??= AdaptiveSampler.Host(state.Position);
            divergedFrom[j] = origin[(j * d)..((j + 1) * d)]; // the trajectory's start: static HMC does not track where it failed
        }
        Tensor keep = tensor(accept).to(policy.Device);
        Tensor keepRows = keep.unsqueeze(1);
        var next = new ChainState(where(keepRows, end.Position, state.Position), where(keep, end.LogDensity, state.LogDensity),
                                  where(keepRows, end.Gradient, state.Gradient));
        return new Transition(next, probability, divergedFrom, (long)c * steps);
    }
}
