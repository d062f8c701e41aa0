using System.Runtime.CompilerServices;

namespace BayesDL.Mcmc;

/// <summary>
/// One NUTS transition of one chain (Hoffman &amp; Gelman 2014, with the multinomial sampling and generalised U-turn
/// criterion of Betancourt 2017, "A conceptual introduction to HMC", appendix A, as implemented in Stan): the
/// trajectory doubles forwards or backwards at random until a sub-trajectory turns back on itself
/// (p#_-^T rho &lt;= 0 or p#_+^T rho &lt;= 0, rho the summed momenta, p# = M^-1 p, also checked across the two halves of
/// every merge), diverges, or reaches the maximum depth. The next state is drawn from the trajectory with weights
/// exp(-H): uniformly (multinomially) inside new subtrees, biased towards the newer half at the top level.
/// <para>
/// Written as a coroutine so that chains whose trees have different shapes can still share one batched gradient call:
/// <see cref="Run"/> yields each position whose log density and gradient it needs (a <see cref="GradientRequest"/>), and the
/// driver (<see cref="AdaptiveSampler"/>) answers it before resuming. Bookkeeping runs on the host in double precision.
/// </para>
/// </summary>
internal sealed class NutsTrajectory(Metric metric, double stepSize, int maxDepth, double maxEnergyError, Random rng)
    : ITrajectory
{
    sealed record Tree(PhasePoint Minus, PhasePoint Plus, PhasePoint Proposal, double LogWeight, double[] Rho);

    /// <summary>Where a recursive step leaves its result (iterators cannot return values).</summary>
    sealed class Slot { internal Tree? Tree; }

    double _h0, _sumAcceptance;

    /// <inheritdoc/>
    public int Steps { get; private set; }

    /// <summary>The position the first divergent leapfrog step started from (the last point the integrator followed), or null.</summary>
    public double[]? DivergedFrom { get; private set; }

    /// <summary>Stan's acceptance statistic: the mean of min(1, exp(H0 - H)) over all leapfrog steps of the trajectory.</summary>
    public double AcceptanceStatistic => Steps == 0 ? 0 : _sumAcceptance / Steps;

    /// <summary>Tree depth reached (the trajectory has up to 2^depth steps).</summary>
    internal int Depth { get; private set; }

    /// <inheritdoc/>
    public PhasePoint? Sample { get; private set; }

    /// <inheritdoc/>
    public IEnumerable<GradientRequest> Run(PhasePoint start)
    {
        _h0 = start.Hamiltonian(metric);
        var tree = new Tree(start, start, start, 0, (double[])start.P.Clone());
        PhasePoint sample = start;
        var slot = new Slot();
        for (Depth = 0; Depth < maxDepth;)
        {
            int direction = rng.NextDouble() < 0.5 ? -1 : 1;
            foreach (GradientRequest q in Build(direction == 1 ? tree.Plus : tree.Minus, direction, Depth, slot)) yield return q;
            Tree? sub = slot.Tree;
            if (sub is null) break; // divergent or turning inside: the new half is discarded entirely
            Depth++;
            if (Math.Log(rng.NextDouble()) < sub.LogWeight - tree.LogWeight) sample = sub.Proposal; // biased progressive sampling
            (Tree minus, Tree plus) = direction == 1 ? (tree, sub) : (sub, tree);
            tree = new Tree(minus.Minus, plus.Plus, sample, LogSumExp(tree.LogWeight, sub.LogWeight), Add(tree.Rho, sub.Rho));
            if (Turning(minus, plus, tree.Rho)) break;
        }
        Sample = sample;
    }

    /// <summary>A subtree of 2^depth steps from <paramref name="from"/> into <paramref name="result"/>; null when it diverges or
    /// turns (invalid).</summary>
    IEnumerable<GradientRequest> Build(PhasePoint from, int direction, int depth, Slot result)
    {
        if (depth == 0)
        {
            var step = new StrongBox<PhasePoint?>();
            foreach (GradientRequest q in Leapfrog.Step(from, direction * stepSize, metric, step)) yield return q;
            PhasePoint next = step.Value!;
            Steps++;
            double error = next.Hamiltonian(metric) - _h0;
            if (double.IsNaN(error)) error = double.PositiveInfinity;
            _sumAcceptance += error <= 0 ? 1 : Math.Exp(-error);
            if (error > maxEnergyError)
            {
                DivergedFrom ??= from.Q;
                result.Tree = null;
                yield break;
            }
            result.Tree = new Tree(next, next, next, -error, (double[])next.P.Clone());
            yield break;
        }
        var half = new Slot();
        foreach (GradientRequest q in Build(from, direction, depth - 1, half)) yield return q;
        Tree? first = half.Tree;
        if (first is null) { result.Tree = null; yield break; }
        foreach (GradientRequest q in Build(direction == 1 ? first.Plus : first.Minus, direction, depth - 1, half)) yield return q;
        Tree? second = half.Tree;
        if (second is null) { result.Tree = null; yield break; }
        double logWeight = LogSumExp(first.LogWeight, second.LogWeight);
        PhasePoint proposal = Math.Log(rng.NextDouble()) < second.LogWeight - logWeight ? second.Proposal : first.Proposal; // multinomial
        (Tree minus, Tree plus) = direction == 1 ? (first, second) : (second, first);
        double[] rho = Add(first.Rho, second.Rho);
        result.Tree = Turning(minus, plus, rho) ? null : new Tree(minus.Minus, plus.Plus, proposal, logWeight, rho);
    }

    /// <summary>The U-turn test over the merged tree and across its two halves (Stan 2.21+).</summary>
    bool Turning(Tree minus, Tree plus, double[] rho) =>
        !Continues(minus.Minus.P, plus.Plus.P, rho)
        || !Continues(minus.Minus.P, plus.Minus.P, Add(minus.Rho, plus.Minus.P))
        || !Continues(minus.Plus.P, plus.Plus.P, Add(plus.Rho, minus.Plus.P));

    bool Continues(double[] pMinus, double[] pPlus, double[] rho) => metric.Inner(pMinus, rho) > 0 && metric.Inner(pPlus, rho) > 0;

    static double[] Add(double[] a, double[] b)
    {
        var sum = new double[a.Length];
        for (int i = 0; i < sum.Length; i++) sum[i] = a[i] + b[i];
        return sum;
    }

    static double LogSumExp(double a, double b)
    {
        double max = Math.Max(a, b);
        return double.IsNegativeInfinity(max) ? max : max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max));
    }
}
