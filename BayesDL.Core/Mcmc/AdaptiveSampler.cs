using System.Diagnostics;
using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>Where every chain is: positions [C, D], log densities [C] and their gradients [C, D].</summary>
internal sealed record ChainState(Tensor Position, Tensor LogDensity, Tensor Gradient) : IDisposable
{
    public void Dispose() { Position.Dispose(); LogDensity.Dispose(); Gradient.Dispose(); }
}

/// <summary>One Markov transition of every chain: the next state, each chain's acceptance statistic and divergence flag.</summary>
/// <paramref name="DivergedFrom"/>: per chain, where its divergent trajectory left the posterior (null when it did not diverge).
internal sealed record Transition(ChainState Next, double[] AcceptanceStatistic, double[]?[] DivergedFrom, long GradientEvaluations);

/// <summary>
/// The run shared by <see cref="HamiltonianMonteCarlo"/> and <see cref="NoUTurnSampler"/>: initialisation and its checks,
/// Stan's warm-up (dual averaging of the step size towards the acceptance statistic, windowed diagonal mass matrix),
/// then the kept draws. The kernel is passed in: (state, step sizes, inverse mass, rng) -&gt; transition.
/// </summary>
internal static class AdaptiveSampler
{
    internal static McmcResult Run(string who, LogDensity target, HmcOptions options, Tensor? initialPosition,
                                   Func<ChainState, double[], Tensor, Random, Transition> kernel)
    {
        Validation.Check.Argument(target is not null, who, nameof(target), "null", "a LogDensity",
            "Build one with LogDensity.FromFunction.");
        options ??= new HmcOptions();
        options.Validate();
        NativeEngine.Seed(options.Seed);
        var rng = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        var watch = Stopwatch.StartNew();
        ComputePolicy policy = target!.Policy;
        int c = options.Chains, d = target.Dimension, warmup = options.Warmup, n = options.Samples;

        Tensor q = Initial(who, target, options, initialPosition);
        var (lp, grad) = Leapfrog.ValueAndGradient(target, q);
        var state = new ChainState(q, lp, grad);
        CheckFinite(who, target, state);
        Tensor invMass = ones(c, d, dtype: policy.Dtype, device: policy.Device);
        long gradients = c;

        double[] eps = Enumerable.Repeat(options.StepSize, c).ToArray();
        if (options.AdaptStepSize && warmup > 0) eps = ReasonableStepSize(target, state, invMass, eps, ref gradients);
        var averaging = new DualAveraging(eps, options.TargetAcceptance);
        var schedule = WarmupSchedule.For(warmup, options.AdaptMassMatrix);
        var variance = new WindowVariance(c, d);
        var draws = new double[(long)c * n * d];
        double acceptance = 0, adaptedAcceptance = 0;
        int adaptedIterations = 0;
        var divergent = new bool[(long)c * n];
        var divergencePoints = new List<double[]>();

        for (int it = 0; it < warmup + n; it++)
        {
            using var scope = NewDisposeScope();
            double[] used = eps.Select(e => e * (1 + options.StepSizeJitter * (2 * rng.NextDouble() - 1))).ToArray();
            Transition step = kernel(state, used, invMass, rng);
            gradients += step.GradientEvaluations;
            if (!ReferenceEquals(step.Next, state))
            {
                state.Dispose();
                state = new ChainState(step.Next.Position.MoveToOuterDisposeScope(), step.Next.LogDensity.MoveToOuterDisposeScope(),
                                       step.Next.Gradient.MoveToOuterDisposeScope());
            }
            double[] position = Host(state.Position);

            if (it < warmup)
            {
                if (options.AdaptStepSize) eps = averaging.Update(step.AcceptanceStatistic);
                adaptedAcceptance += step.AcceptanceStatistic.Average();
                adaptedIterations++;
                if (schedule.InWindow(it)) variance.Add(position);
                if (schedule.EndsWindow(it))
                {
                    invMass.Dispose();
                    invMass = policy.Tensor(variance.Regularized(), c, d).MoveToOuterDisposeScope();
                    variance.Reset();
                    if (options.AdaptStepSize)
                    {
                        eps = ReasonableStepSize(target, state, invMass, eps, ref gradients);
                        averaging.Restart(eps);
                        adaptedAcceptance = adaptedIterations = 0; // the last adaptation phase is what counts
                    }
                }
                if (it == warmup - 1 && options.AdaptStepSize) eps = averaging.Final();
            }
            else
            {
                acceptance += step.AcceptanceStatistic.Sum();
                int row = it - warmup;
                for (int j = 0; j < c; j++)
                {
                    if (step.DivergedFrom[j] is not { } from) continue;
                    divergent[(long)j * n + row] = true;
                    divergencePoints.Add(from);
                }
                for (int j = 0; j < c; j++) Array.Copy(position, j * d, draws, ((long)j * n + row) * d, d);
            }
        }
        double[] inverseMass = Host(invMass);
        state.Dispose();
        invMass.Dispose();
        return new McmcResult(draws, c, n, d, policy, eps, inverseMass, acceptance / ((double)c * n),
            adaptedIterations > 0 ? adaptedAcceptance / adaptedIterations : double.NaN, divergent, divergencePoints, gradients,
            watch.Elapsed);
    }

    static Tensor Initial(string who, LogDensity target, HmcOptions options, Tensor? initial)
    {
        ComputePolicy policy = target.Policy;
        int c = options.Chains, d = target.Dimension;
        if (initial is null)
            return (rand(c, d, dtype: policy.Dtype, device: policy.Device) * 2 - 1) * options.InitRadius;
        bool shared = initial.dim() == 1 && initial.shape[0] == d, perChain = initial.dim() == 2
            && initial.shape[0] == c && initial.shape[1] == d;
        Validation.Check.Argument(shared || perChain, who, "initialPosition", $"shape {Validation.Check.Shape(initial.shape)}",
            $"[{d}] (one start for all chains) or [{c}, {d}] (one per chain)");
        using Tensor moved = policy.Apply(initial).detach();
        return shared ? moved.unsqueeze(0).expand(c, d).clone() : moved.clone();
    }

    static void CheckFinite(string who, LogDensity target, ChainState state)
    {
        double[] values = Host(state.LogDensity), gradients = Host(state.Gradient), start = Host(state.Position);
        int d = target.Dimension;
        for (int j = 0; j < values.Length; j++)
        {
            bool gradientFinite = gradients.Skip(j * d).Take(d).All(double.IsFinite);
            if (double.IsFinite(values[j]) && gradientFinite) continue;
            string at = "[" + string.Join(", ", start.Skip(j * d).Take(Math.Min(d, 8)).Select(v => v.ToString("G6"))) +
                (d > 8 ? ", ..." : "") + "]";
            string found = double.IsFinite(values[j]) ? $"a non-finite gradient at chain {j}'s initial position {at}"
                : $"log density {values[j]} at chain {j}'s initial position {at}";
            throw Validation.Check.Error(who, $"target ({target.Name})", found, "finite with a finite gradient at every initial position",
                "Pass an initialPosition inside the support, or reparameterise constrained parameters to the real " +
                "line (e.g. the log of a scale).");
        }
    }

    /// <summary>
    /// Hoffman &amp; Gelman (2014, Alg. 4) as in Stan: double (or halve) each chain's eps until the one-step acceptance
    /// probability crosses 0.8 (giving dual averaging a sensible starting scale mu = log(10 eps)).
    /// </summary>
    static double[] ReasonableStepSize(LogDensity target, ChainState state, Tensor invMass, double[] eps, ref long gradients)
    {
        ComputePolicy policy = target.Policy;
        int c = eps.Length;
        double[] e = eps.ToArray();
        var direction = new int[c];
        var done = new bool[c];
        double threshold = Math.Log(0.8);
        for (int k = 0; k < 100 && !done.All(x => x); k++)
        {
            using var scope = NewDisposeScope();
            Tensor momentum = randn(state.Position.shape, dtype: policy.Dtype, device: policy.Device) / invMass.sqrt();
            var end = Leapfrog.Integrate(target, state.Position, momentum, state.Gradient, policy.Tensor(e, c, 1), invMass, 1);
            gradients += c;
            double[] error = Host(Leapfrog.Kinetic(end.Momentum, invMass) - end.LogDensity
                - (Leapfrog.Kinetic(momentum, invMass) - state.LogDensity));
            for (int j = 0; j < c; j++)
            {
                if (done[j]) continue;
                double logAccept = double.IsFinite(error[j]) ? -error[j] : double.NegativeInfinity;
                if (k == 0) direction[j] = logAccept > threshold ? 1 : -1;
                bool crossed = direction[j] == 1 ? !(logAccept > threshold) : !(logAccept < threshold);
                if (crossed || e[j] > 1e7 || e[j] < 1e-10) done[j] = true;
                else e[j] *= direction[j] == 1 ? 2 : 0.5;
            }
        }
        return e;
    }

    internal static double[] Host(Tensor t)
    {
        // Called twice per leapfrog step: a float64 CPU tensor is read in place, without the two handles of detach().to().
        if (t.dtype == ScalarType.Float64 && t.device_type == TorchSharp.DeviceType.CPU && t.is_contiguous())
            return t.data<double>().ToArray();
        using var cpu = t.detach().to(ScalarType.Float64, CPU);
        return cpu.data<double>().ToArray();
    }
}
