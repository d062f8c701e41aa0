using System.Diagnostics;
using BayesDL.Engine;
using TorchSharp;
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
        const string who = nameof(HamiltonianMonteCarlo);
        Validation.Check.Argument(target is not null, who, nameof(target), "null", "a LogDensity", "Build one with LogDensity.FromFunction.");
        options ??= new HmcOptions();
        options.Validate();
        NativeEngine.Seed(options.Seed);
        var rng = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        var watch = Stopwatch.StartNew();
        ComputePolicy policy = target!.Policy;
        int c = options.Chains, d = target.Dimension, warmup = options.Warmup, n = options.Samples;

        Tensor q = Initial(target, options, initialPosition);
        var (lp, grad) = Leapfrog.ValueAndGradient(target, q);
        CheckFinite(target, q, lp, grad);
        Tensor invMass = ones(c, d, dtype: policy.Dtype, device: policy.Device);
        long gradients = c;

        double[] eps = Enumerable.Repeat(options.StepSize, c).ToArray();
        if (options.AdaptStepSize && warmup > 0) eps = ReasonableStepSize(target, q, lp, grad, invMass, eps, ref gradients);
        var averaging = new DualAveraging(eps, options.TargetAcceptance);
        var schedule = WarmupSchedule.For(warmup, options.AdaptMassMatrix);
        var variance = new WindowVariance(c, d);
        var draws = new double[(long)c * n * d];
        double acceptance = 0, adaptedAcceptance = 0;
        int divergences = 0, adaptedIterations = 0;

        for (int it = 0; it < warmup + n; it++)
        {
            using var scope = NewDisposeScope();
            double[] used = eps.Select(e => e * (1 + options.StepSizeJitter * (2 * rng.NextDouble() - 1))).ToArray();
            Tensor momentum = randn(c, d, dtype: policy.Dtype, device: policy.Device) / invMass.sqrt();
            Tensor start = Leapfrog.Kinetic(momentum, invMass) - lp;
            int steps = options.RandomizeSteps ? rng.Next(1, options.LeapfrogSteps + 1) : options.LeapfrogSteps;
            var end = Leapfrog.Integrate(target, q, momentum, grad, policy.Tensor(used, c, 1), invMass, steps);
            gradients += (long)c * steps;
            double[] energyError = Host(Leapfrog.Kinetic(end.Momentum, invMass) - end.LogDensity - start);

            var accept = new bool[c];
            var probability = new double[c];
            for (int j = 0; j < c; j++)
            {
                double e = energyError[j];
                probability[j] = double.IsFinite(e) ? Math.Min(1, Math.Exp(-e)) : 0;
                accept[j] = rng.NextDouble() < probability[j];
                if (it >= warmup && !(e <= options.MaxEnergyError)) divergences++;
            }
            Tensor keep = tensor(accept).to(policy.Device);
            Tensor keepRows = keep.unsqueeze(1);
            Tensor nextQ = where(keepRows, end.Position, q).MoveToOuterDisposeScope();
            Tensor nextLp = where(keep, end.LogDensity, lp).MoveToOuterDisposeScope();
            Tensor nextGrad = where(keepRows, end.Gradient, grad).MoveToOuterDisposeScope();
            q.Dispose(); lp.Dispose(); grad.Dispose();
            (q, lp, grad) = (nextQ, nextLp, nextGrad);
            double[] position = Host(q);

            if (it < warmup)
            {
                if (options.AdaptStepSize) eps = averaging.Update(probability);
                adaptedAcceptance += probability.Average();
                adaptedIterations++;
                if (schedule.InWindow(it)) variance.Add(position);
                if (schedule.EndsWindow(it))
                {
                    invMass.Dispose();
                    invMass = policy.Tensor(variance.Regularized(), c, d).MoveToOuterDisposeScope();
                    variance.Reset();
                    if (options.AdaptStepSize)
                    {
                        eps = ReasonableStepSize(target, q, lp, grad, invMass, eps, ref gradients);
                        averaging.Restart(eps);
                        adaptedAcceptance = adaptedIterations = 0; // the last adaptation phase is what counts
                    }
                }
                if (it == warmup - 1 && options.AdaptStepSize) eps = averaging.Final();
            }
            else
            {
                acceptance += probability.Sum();
                int row = it - warmup;
                for (int j = 0; j < c; j++) Array.Copy(position, j * d, draws, ((long)j * n + row) * d, d);
            }
        }
        double[] inverseMass = Host(invMass);
        q.Dispose(); lp.Dispose(); grad.Dispose(); invMass.Dispose();
        return new McmcResult(draws, c, n, d, policy, eps, inverseMass, acceptance / ((double)c * n),
            adaptedIterations > 0 ? adaptedAcceptance / adaptedIterations : double.NaN, divergences, gradients, watch.Elapsed);
    }

    static Tensor Initial(LogDensity target, HmcOptions options, Tensor? initial)
    {
        ComputePolicy policy = target.Policy;
        int c = options.Chains, d = target.Dimension;
        if (initial is null)
            return ((rand(c, d, dtype: policy.Dtype, device: policy.Device) * 2 - 1) * options.InitRadius);
        bool shared = initial.dim() == 1 && initial.shape[0] == d, perChain = initial.dim() == 2 && initial.shape[0] == c && initial.shape[1] == d;
        Validation.Check.Argument(shared || perChain, nameof(HamiltonianMonteCarlo), "initialPosition", $"shape {ComputePolicy.Shape(initial.shape)}",
            $"[{d}] (one start for all chains) or [{c}, {d}] (one per chain)");
        using Tensor moved = policy.Apply(initial).detach();
        return shared ? moved.unsqueeze(0).expand(c, d).clone() : moved.clone();
    }

    static void CheckFinite(LogDensity target, Tensor q, Tensor lp, Tensor grad)
    {
        double[] values = Host(lp), gradients = Host(grad), start = Host(q);
        int d = target.Dimension;
        for (int j = 0; j < values.Length; j++)
        {
            bool gradientFinite = gradients.Skip(j * d).Take(d).All(double.IsFinite);
            if (double.IsFinite(values[j]) && gradientFinite) continue;
            string at = "[" + string.Join(", ", start.Skip(j * d).Take(Math.Min(d, 8)).Select(v => v.ToString("G6"))) + (d > 8 ? ", ..." : "") + "]";
            string found = double.IsFinite(values[j]) ? $"a non-finite gradient at chain {j}'s initial position {at}" : $"log density {values[j]} at chain {j}'s initial position {at}";
            throw Validation.Check.Error(nameof(HamiltonianMonteCarlo), $"target ({target.Name})", found, "finite with a finite gradient at every initial position",
                "Pass an initialPosition inside the support, or reparameterise constrained parameters to the real line (e.g. the log of a scale).");
        }
    }

    /// <summary>
    /// Hoffman &amp; Gelman (2014, Alg. 4) as in Stan: double (or halve) each chain's eps until the one-step acceptance
    /// probability crosses 0.8 (giving dual averaging a sensible starting scale mu = log(10 eps)).
    /// </summary>
    static double[] ReasonableStepSize(LogDensity target, Tensor q, Tensor lp, Tensor grad, Tensor invMass, double[] eps, ref long gradients)
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
            Tensor momentum = randn(q.shape, dtype: policy.Dtype, device: policy.Device) / invMass.sqrt();
            var end = Leapfrog.Integrate(target, q, momentum, grad, policy.Tensor(e, c, 1), invMass, 1);
            gradients += c;
            double[] error = Host(Leapfrog.Kinetic(end.Momentum, invMass) - end.LogDensity - (Leapfrog.Kinetic(momentum, invMass) - lp));
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

    static double[] Host(Tensor t)
    {
        using var cpu = t.detach().to(ScalarType.Float64, CPU);
        return cpu.data<double>().ToArray();
    }
}
