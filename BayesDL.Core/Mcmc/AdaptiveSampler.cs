using System.Diagnostics;
using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The run shared by <see cref="HamiltonianMonteCarlo"/> and <see cref="NoUTurnSampler"/>: initialisation and its checks, then
/// one <see cref="ChainRun"/> per chain (Stan's warm-up, then the kept draws). The kernel is passed in: (inverse mass, step
/// size, generator) -&gt; a trajectory for one transition.
/// <para>
/// The chains run asynchronously: each is a coroutine that stops at every position whose gradient it needs, and each round
/// evaluates the waiting positions of all chains in one batched call of the target. On small models a call
/// costs mostly a fixed amount per tensor operation, so k positions cost little more than one; since no chain waits for
/// another's longer trajectory, almost every call carries all chains (in lockstep a NUTS call carried about two thirds).
/// </para>
/// </summary>
internal static class AdaptiveSampler
{
    /// <summary>The largest dimension a dense metric is offered for.</summary>
    internal const int MaxDenseDimension = 2000;

    internal static McmcResult Run(string who, LogDensity target, HmcOptions options, Tensor? initialPosition,
                                   Func<Metric, double, Random, ITrajectory> kernel)
    {
        Validation.Check.Argument(target is not null, who, nameof(target), "null", "a LogDensity",
            "Build one with LogDensity.FromFunction.");
        options ??= new HmcOptions();
        options.Validate();
        NativeEngine.Seed(options.Seed);
        var rng = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        var watch = Stopwatch.StartNew();
        int c = options.Chains, d = target!.Dimension, n = options.Samples;
        Validation.Check.Argument(!options.DenseMassMatrix || d <= MaxDenseDimension, who, nameof(HmcOptions.DenseMassMatrix),
            $"true for a target of dimension {d}",
            $"a dimension of at most {MaxDenseDimension} (a dense metric holds D x D = {(double)d * d:G3} numbers per chain and " +
            "multiplies by them at every leapfrog step)",
            "Use the diagonal metric (DenseMassMatrix = false) for targets this large.");

        double[] q;
        using (Tensor initial = Initial(who, target, options, initialPosition)) q = Host(initial);
        var (lp, grad) = Leapfrog.ValueAndGradient(target, q, c);
        CheckFinite(who, target, q, lp, grad);
        double[] Row(double[] a, int j) => a[(j * d)..((j + 1) * d)];
        var schedule = WarmupSchedule.For(options.Warmup, options.AdaptMassMatrix);
        ChainRun[] chains = Enumerable.Range(0, c).Select(j => new ChainRun(options, schedule,
            new PhasePoint(Row(q, j), new double[d], Row(grad, j), lp[j]), kernel, new Random(rng.Next()))).ToArray();

        IEnumerator<GradientRequest>[] runs = chains.Select(chain => chain.Run().GetEnumerator()).ToArray();
        List<IEnumerator<GradientRequest>> waiting = runs.Where(run => run.MoveNext()).ToList();
        long calls = 1; // the start's
        for (; waiting.Count > 0; calls++)
        {
            var positions = new double[waiting.Count * d];
            for (int i = 0; i < waiting.Count; i++) Array.Copy(waiting[i].Current.Position, 0, positions, i * d, d);
            var (values, gradients) = Leapfrog.ValueAndGradient(target, positions, waiting.Count);
            for (int i = 0; i < waiting.Count; i++) waiting[i].Current.Answer(values[i], Row(gradients, i));
            waiting.RemoveAll(run => !run.MoveNext());
        }

        var draws = new double[(long)c * n * d];
        for (int j = 0; j < c; j++) Array.Copy(chains[j].Draws, 0, draws, (long)j * n * d, (long)n * d);
        (double adaptedSum, int adaptedCount) = (chains.Sum(x => x.Adapted.Sum), chains.Sum(x => x.Adapted.Count));
        return new McmcResult(draws, c, n, d, target.Policy, chains.Select(x => x.StepSize).ToArray(),
            chains.SelectMany(x => x.Metric.InverseMassDiagonal).ToArray(), chains.Sum(x => x.AcceptanceSum) / ((double)c * n),
            adaptedCount > 0 ? adaptedSum / adaptedCount : double.NaN, chains.SelectMany(x => x.Divergent).ToArray(),
            chains.SelectMany(x => x.DivergencePoints).ToList(), c + chains.Sum(x => x.Gradients),
            chains.Select(x => new ChainGradients(x.WarmupGradients, x.Gradients - x.WarmupGradients)).ToArray(), calls, watch.Elapsed);
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

    static void CheckFinite(string who, LogDensity target, double[] start, double[] values, double[] gradients)
    {
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

    internal static double[] Host(Tensor t)
    {
        // Called twice per batched gradient call: a float64 CPU tensor is read in place, without the two handles of detach().to().
        if (t.dtype == ScalarType.Float64 && t.device_type == TorchSharp.DeviceType.CPU && t.is_contiguous())
            return t.data<double>().ToArray();
        using var cpu = t.detach().to(ScalarType.Float64, CPU);
        return cpu.data<double>().ToArray();
    }
}
