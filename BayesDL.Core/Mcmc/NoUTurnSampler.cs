using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The No-U-Turn Sampler (Hoffman &amp; Gelman 2014; multinomial variant of Betancourt 2017 as in Stan and Pyro): HMC
/// that picks its trajectory length per iteration by doubling until the path turns back, up to
/// <see cref="HmcOptions.MaxTreeDepth"/> doublings, so no <see cref="HmcOptions.LeapfrogSteps"/> has to be tuned.
/// Same warm-up as <see cref="HamiltonianMonteCarlo"/> (dual averaging towards the mean acceptance statistic over the
/// trajectory; windowed diagonal mass matrix).
/// <para>
/// The chains advance in lockstep: each leapfrog step evaluates <see cref="LogDensity.Evaluate"/> once, on the positions
/// [k, D] of the k chains whose trajectories are still growing (trees differ in depth per chain, so k shrinks as chains
/// finish; the others wait). On small models the cost of a call is mostly fixed per tensor operation, so one call for all
/// chains costs little more than one for a single chain. Each chain draws its directions and proposals from its own
/// generator, so the result does not depend on how the chains are scheduled.
/// </para>
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
        double[] Row(double[] a, int j) => a[(j * d)..((j + 1) * d)];

        var trajectories = new NutsTrajectory[c];
        var runs = new IEnumerator<double[]>[c];
        for (int j = 0; j < c; j++)
        {
            trajectories[j] = new NutsTrajectory(Row(m, j), eps[j], options.MaxTreeDepth, options.MaxEnergyError, new Random(rng.Next()));
            runs[j] = trajectories[j].Run(new NutsTrajectory.Point(Row(q, j), Row(p, j), Row(g, j), lp[j])).GetEnumerator();
        }
        List<int> growing = Enumerable.Range(0, c).Where(j => runs[j].MoveNext()).ToList();
        while (growing.Count > 0)
        {
            var positions = new double[growing.Count * d];
            for (int i = 0; i < growing.Count; i++) Array.Copy(runs[growing[i]].Current, 0, positions, i * d, d);
            var (values, gradients) = Leapfrog.ValueAndGradient(target, positions, growing.Count);
            for (int i = 0; i < growing.Count; i++) trajectories[growing[i]].Receive(values[i], Row(gradients, i));
            growing.RemoveAll(j => !runs[j].MoveNext());
        }

        var (nextQ, nextLp, nextG) = (new double[c * d], new double[c], new double[c * d]);
        for (int j = 0; j < c; j++)
        {
            NutsTrajectory.Point sample = trajectories[j].Sample!;
            Array.Copy(sample.Q, 0, nextQ, j * d, d);
            Array.Copy(sample.G, 0, nextG, j * d, d);
            nextLp[j] = sample.LogDensity;
        }
        var next = new ChainState(policy.Tensor(nextQ, c, d), policy.Tensor(nextLp, c), policy.Tensor(nextG, c, d));
        return new Transition(next, trajectories.Select(t => t.AcceptanceStatistic).ToArray(),
            trajectories.Select(t => t.DivergedFrom).ToArray(), trajectories.Sum(t => (long)t.Steps));
    }
}
