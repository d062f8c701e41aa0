using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The No-U-Turn Sampler (Hoffman &amp; Gelman 2014; multinomial variant of Betancourt 2017 as in Stan and Pyro): HMC
/// that picks its trajectory length per iteration by doubling until the path turns back, up to
/// <see cref="HmcOptions.MaxTreeDepth"/> doublings, so no <see cref="HmcOptions.LeapfrogSteps"/> has to be tuned.
/// Same warm-up as <see cref="HamiltonianMonteCarlo"/> (dual averaging towards the mean acceptance statistic over the
/// trajectory; windowed diagonal mass matrix). Chains run one after another (tree shapes differ per chain), so
/// <see cref="LogDensity.Evaluate"/> sees one position [1, D] per call.
/// </summary>
public static class NoUTurnSampler
{
    /// <summary>Runs NUTS; arguments, errors and result as for <see cref="HamiltonianMonteCarlo.Sample"/>.</summary>
    public static McmcResult Sample(LogDensity target, HmcOptions? options = null, Tensor? initialPosition = null)
    {
        options ??= new HmcOptions();
        return AdaptiveSampler.Run(nameof(NoUTurnSampler), target, options, initialPosition,
            (state, eps, invMass, rng) => Step(target, options, state, eps, invMass, rng));
    }

    static Transition Step(LogDensity target, HmcOptions options, ChainState state, double[] eps, Tensor invMass, Random rng)
    {
        ComputePolicy policy = target.Policy;
        int c = eps.Length, d = target.Dimension;
        double[] q = AdaptiveSampler.Host(state.Position), lp = AdaptiveSampler.Host(state.LogDensity),
            g = AdaptiveSampler.Host(state.Gradient);
        double[] m = AdaptiveSampler.Host(invMass);
        double[] p = AdaptiveSampler.Host(randn(c, d, dtype: policy.Dtype, device: policy.Device) / invMass.sqrt());
        var (nextQ, nextLp, nextG) = (new double[c * d], new double[c], new double[c * d]);
        var statistic = new double[c];
        var divergent = new bool[c];
        long steps = 0;
        for (int j = 0; j < c; j++)
        {
            double[] Row(double[] a) => a[(j * d)..((j + 1) * d)];
            var trajectory = new NutsTrajectory(target, Row(m), eps[j], options.MaxTreeDepth, options.MaxEnergyError, rng);
            var sample = trajectory.Run(new NutsTrajectory.Point(Row(q), Row(p), Row(g), lp[j]));
            Array.Copy(sample.Q, 0, nextQ, j * d, d);
            Array.Copy(sample.G, 0, nextG, j * d, d);
            nextLp[j] = sample.LogDensity;
            statistic[j] = trajectory.AcceptanceStatistic;
            divergent[j] = trajectory.Divergent;
            steps += trajectory.Steps;
        }
        var next = new ChainState(policy.Tensor(nextQ, c, d), policy.Tensor(nextLp, c), policy.Tensor(nextG, c, d));
        return new Transition(next, statistic, divergent, steps);
    }
}
