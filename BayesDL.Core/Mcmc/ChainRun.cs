using System.Runtime.CompilerServices;

namespace BayesDL.Mcmc;

/// <summary>
/// One chain's whole run as a coroutine: Stan's warm-up (a reasonable first step size, dual averaging of the step size towards
/// the target acceptance statistic, an inverse mass matrix (diagonal or dense) from each slow window's draws, the step size searched again
/// after each metric update), then the kept draws. <see cref="Run"/> yields every position whose gradient the chain needs, so
/// the driver (<see cref="AdaptiveSampler"/>) can answer the waiting positions of all chains in one batched call while each
/// chain advances at its own pace: a chain with a short trajectory starts its next transition instead of waiting for the
/// longest one. The chain draws momenta, jitter and proposals from its own generator, so its draws do not depend on how the
/// chains are scheduled.
/// </summary>
internal sealed class ChainRun(HmcOptions options, WarmupSchedule schedule, PhasePoint start,
                               Func<Metric, double, Random, ITrajectory> kernel, Random rng)
{
    readonly int _dimension = start.Q.Length;

    /// <summary>The kept draws, [Samples, D] row-major.</summary>
    internal double[] Draws { get; } = new double[(long)options.Samples * start.Q.Length];

    /// <summary>Per kept draw: did its transition diverge.</summary>
    internal bool[] Divergent { get; } = new bool[options.Samples];

    /// <summary>Where each divergent kept transition left the posterior, in draw order.</summary>
    internal List<double[]> DivergencePoints { get; } = [];

    /// <summary>The step size after warm-up (before jitter).</summary>
    internal double StepSize { get; private set; } = options.StepSize;

    /// <summary>The metric after warm-up (the identity until the first window ends).</summary>
    internal Metric Metric { get; private set; } = Metric.Identity(start.Q.Length);

    /// <summary>Gradient evaluations, warm-up and step-size searches included.</summary>
    internal long Gradients { get; private set; }

    /// <summary>Of <see cref="Gradients"/>, those spent before the first kept transition.</summary>
    internal long WarmupGradients { get; private set; }

    /// <summary>Sum of the kept transitions' acceptance statistics.</summary>
    internal double AcceptanceSum { get; private set; }

    /// <summary>Sum and count of the acceptance statistics of the last step-size adaptation phase of warm-up.</summary>
    internal (double Sum, int Count) Adapted { get; private set; }

    internal IEnumerable<GradientRequest> Run()
    {
        int warmup = options.Warmup;
        PhasePoint state = start;
        bool adaptStep = options.AdaptStepSize && warmup > 0;
        var found = new StrongBox<double>();
        if (adaptStep)
        {
            foreach (GradientRequest request in ReasonableStepSize(state, found)) yield return request;
            StepSize = found.Value;
        }
        var averaging = new DualAveraging(StepSize, options.TargetAcceptance);
        var variance = new WindowCovariance(_dimension, options.DenseMassMatrix);
        for (int it = 0; it < warmup + options.Samples; it++)
        {
            if (it == warmup) WarmupGradients = Gradients;
            double used = StepSize * (1 + options.StepSizeJitter * (2 * rng.NextDouble() - 1));
            ITrajectory trajectory = kernel(Metric, used, rng);
            foreach (GradientRequest request in trajectory.Run(state with { P = Momentum() })) yield return request;
            Gradients += trajectory.Steps;
            state = trajectory.Sample!;
            if (it >= warmup)
            {
                int row = it - warmup;
                AcceptanceSum += trajectory.AcceptanceStatistic;
                Array.Copy(state.Q, 0, Draws, (long)row * _dimension, _dimension);
                if (trajectory.DivergedFrom is { } from)
                {
                    Divergent[row] = true;
                    DivergencePoints.Add(from);
                }
                continue;
            }
            if (options.AdaptStepSize) StepSize = averaging.Update(trajectory.AcceptanceStatistic);
            Adapted = (Adapted.Sum + trajectory.AcceptanceStatistic, Adapted.Count + 1);
            if (schedule.InWindow(it)) variance.Add(state.Q);
            if (schedule.EndsWindow(it))
            {
                Metric = variance.Regularized();
                variance.Reset();
                if (options.AdaptStepSize)
                {
                    foreach (GradientRequest request in ReasonableStepSize(state, found)) yield return request;
                    StepSize = found.Value;
                    averaging.Restart(StepSize);
                    Adapted = (0, 0); // the last adaptation phase is what counts
                }
            }
            if (it == warmup - 1 && options.AdaptStepSize) StepSize = averaging.Final();
        }
    }

    /// <summary>
    /// Hoffman &amp; Gelman (2014, Alg. 4) as in Stan: double (or halve) eps until the one-step acceptance probability crosses
    /// 0.8, giving dual averaging a sensible starting scale mu = log(10 eps).
    /// </summary>
    IEnumerable<GradientRequest> ReasonableStepSize(PhasePoint state, StrongBox<double> result)
    {
        double eps = StepSize, threshold = Math.Log(0.8);
        int direction = 0;
        var end = new StrongBox<PhasePoint?>();
        for (int k = 0; k < 100; k++)
        {
            PhasePoint from = state with { P = Momentum() };
            foreach (GradientRequest request in Leapfrog.Step(from, eps, Metric, end)) yield return request;
            Gradients++;
            double error = end.Value!.Hamiltonian(Metric) - from.Hamiltonian(Metric);
            double logAccept = double.IsFinite(error) ? -error : double.NegativeInfinity;
            if (k == 0) direction = logAccept > threshold ? 1 : -1;
            bool crossed = direction == 1 ? !(logAccept > threshold) : !(logAccept < threshold);
            if (crossed || eps > 1e7 || eps < 1e-10) break;
            eps *= direction == 1 ? 2 : 0.5;
        }
        result.Value = eps;
    }

    /// <summary>p ~ N(0, M): standard normal draws (Marsaglia's polar method) scaled by the metric.</summary>
    double[] Momentum()
    {
        var p = new double[_dimension];
        for (int i = 0; i < _dimension; i += 2)
        {
            double u, v, s;
            do
            {
                u = 2 * rng.NextDouble() - 1;
                v = 2 * rng.NextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double factor = Math.Sqrt(-2 * Math.Log(s) / s);
            p[i] = u * factor;
            if (i + 1 < _dimension) p[i + 1] = v * factor;
        }
        Metric.ScaleMomentum(p);
        return p;
    }
}
