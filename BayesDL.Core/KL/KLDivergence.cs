using System.Collections.Concurrent;
using BayesDL.Distributions;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.KL;

/// <summary>
/// The KL divergence KL(p || q) = E_p[log p(x) - log q(x)]: a registry of closed forms dispatched on the
/// (type of p, type of q) pair, and an explicit Monte Carlo estimator. Following torch.distributions.kl, lookup
/// picks the most specific registered pair: among pairs (P, Q) with p an instance of P and q of Q, the one with the
/// smallest inheritance distance (distance of p's type to P plus that of q's type to Q; ties go to the closer P).
/// Lookups are memoised per concrete type pair; registering a pair clears the memo.
/// Asking for the analytic KL of an unregistered pair throws, naming the pair and listing the registered ones:
/// there is never a silent fallback to Monte Carlo; call <see cref="MonteCarlo"/> explicitly
/// (<see cref="IsRegistered"/> tells which one applies).
/// </summary>
public static class KLDivergence
{
    static readonly object Gate = new();
    static readonly Dictionary<(Type, Type), Func<Distribution, Distribution, Tensor>> Registry = new();
    static readonly ConcurrentDictionary<(Type, Type), Func<Distribution, Distribution, Tensor>?> Memo = new();

    static KLDivergence() => StandardPairs.RegisterAll();

    /// <summary>
    /// Registers (or replaces) the closed form for KL(p || q) with p of type <typeparamref name="P"/> and q of type
    /// <typeparamref name="Q"/>; it also serves subclasses unless a more specific pair is registered.
    /// The function receives distributions with compatible shapes and returns a tensor of their broadcast batch shape.
    /// </summary>
    public static void Register<P, Q>(Func<P, Q, Tensor> kl) where P : Distribution where Q : Distribution
    {
        ArgumentNullException.ThrowIfNull(kl);
        lock (Gate)
        {
            Registry[(typeof(P), typeof(Q))] = (p, q) => kl((P)p, (Q)q);
            Memo.Clear();
        }
    }

    /// <summary>Every registered pair, ordered by name.</summary>
    public static IReadOnlyList<KLPair> RegisteredPairs
    {
        get
        {
            lock (Gate)
                return Registry.Keys.Select(k => new KLPair(k.Item1, k.Item2)).OrderBy(k => k.Name, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>True when <see cref="Analytic"/> has a closed form for this (p, q) (possibly via a base type).</summary>
    public static bool IsRegistered(Distribution p, Distribution q) => Resolve(p.GetType(), q.GetType()) is not null;

    /// <summary>
    /// The closed-form KL(p || q), shape = the broadcast of the two batch shapes, differentiable in both arguments'
    /// parameters. Throws an <see cref="ArgumentException"/> naming the pair and the registered pairs when none applies,
    /// or when the shapes are incompatible (event shapes must be equal, batch shapes must broadcast).
    /// </summary>
    public static Tensor Analytic(Distribution p, Distribution q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        var kl = Resolve(p.GetType(), q.GetType()) ?? throw Unregistered(p, q);
        CheckShapes(p, q);
        return kl(p, q);
    }

    /// <summary>
    /// The Monte Carlo estimate of KL(p || q) from <paramref name="samples"/> draws x_i ~ p: mean and standard error
    /// of log p(x_i) - log q(x_i). Draws use <see cref="Distribution.RSample"/> when p has one, so the estimate is
    /// differentiable by reparameterisation; otherwise gradients flow only through the log-densities.
    /// </summary>
    public static MonteCarloKL MonteCarlo(Distribution p, Distribution q, int samples)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        Check.Argument(samples >= 2, nameof(KLDivergence), "samples", samples.ToString(), ">= 2 (a standard error needs two draws)");
        CheckShapes(p, q);
        using var scope = NewDisposeScope();
        Tensor x = p.HasRSample ? p.RSample(samples) : p.Sample(samples);
        Tensor ratio = p.LogProb(x) - q.LogProb(x);
        Tensor estimate = ratio.mean(new long[] { 0 });
        Tensor se = ratio.std(0L) / Math.Sqrt(samples);
        return new MonteCarloKL(estimate.MoveToOuterDisposeScope(), se.MoveToOuterDisposeScope(), samples);
    }

    static Func<Distribution, Distribution, Tensor>? Resolve(Type p, Type q) =>
        Memo.TryGetValue((p, q), out var hit) ? hit : Memo.GetOrAdd((p, q), key => MostSpecific(key.Item1, key.Item2));

    static Func<Distribution, Distribution, Tensor>? MostSpecific(Type p, Type q)
    {
        lock (Gate)
        {
            Func<Distribution, Distribution, Tensor>? best = null;
            (int Total, int P) bestRank = (int.MaxValue, int.MaxValue);
            foreach (var ((rp, rq), kl) in Registry)
            {
                int dp = Distance(p, rp), dq = Distance(q, rq);
                if (dp < 0 || dq < 0) continue;
                var rank = (dp + dq, dp);
                if (rank.CompareTo(bestRank) < 0) { best = kl; bestRank = rank; }
            }
            return best;
        }
    }

    /// <summary>Steps from <paramref name="type"/> up its base-class chain to <paramref name="ancestor"/>, or -1.</summary>
    static int Distance(Type type, Type ancestor)
    {
        int d = 0;
        for (Type? t = type; t is not null; t = t.BaseType, d++)
            if (t == ancestor) return d;
        return -1;
    }

    static ArgumentException Unregistered(Distribution p, Distribution q) =>
        new($"KLDivergence: no analytic KL is registered for the pair ({p.GetType().Name}, {q.GetType().Name}) " +
            $"(p = {p}, q = {q}). Registered pairs: {string.Join(", ", RegisteredPairs.Select(k => k.Name))}. " +
            "Use KLDivergence.MonteCarlo(p, q, samples) for an estimate with its standard error, " +
            "or KLDivergence.Register<P, Q>(...) to add a closed form.", nameof(q));

    static void CheckShapes(Distribution p, Distribution q)
    {
        if (!p.EventShape.SequenceEqual(q.EventShape))
            throw Check.Error(nameof(KLDivergence), "q", $"event shape {Check.Shape(q.EventShape)} for p's {Check.Shape(p.EventShape)}",
                "the same event shape as p", "Reshape or wrap one side in Independent so both describe the same random variable.");
        long[] a = p.BatchShape, b = q.BatchShape;
        for (int i = 1; i <= Math.Min(a.Length, b.Length); i++)
        {
            long x = a[^i], y = b[^i];
            if (x != y && x != 1 && y != 1)
                throw Check.Error(nameof(KLDivergence), "q", $"batch shape {Check.Shape(b)} for p's {Check.Shape(a)}",
                    "a batch shape that broadcasts with p's", "Make the trailing dimensions equal or 1.");
        }
    }
}
