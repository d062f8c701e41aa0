using System.Runtime.CompilerServices;
using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The leapfrog (velocity Verlet) integrator of Hamilton's equations for H(q, p) = -log p~(q) + p^T M^-1 p / 2
/// with an inverse mass matrix M^-1 (<see cref="Metric"/>; Neal 2011, eq. 5.18-5.20): half kick p += eps/2 grad log p~(q),
/// drift q += eps M^-1 p, half kick. Volume-preserving and reversible (negate p, integrate, negate p: back at
/// the start), with energy error O(eps^2) over a fixed trajectory length, so the Metropolis correction
/// min(1, exp(H_start - H_end)) makes HMC exact.
/// </summary>
internal static class Leapfrog
{
    /// <summary>log p~ [C] and its gradient [C, D] at <paramref name="positions"/>: the target's closed form when it has one,
    /// else by autograd (chains are independent, so grad of the sum).</summary>
    internal static (Tensor LogDensity, Tensor Gradient) ValueAndGradient(LogDensity target, Tensor positions)
    {
        if (target.HasClosedFormGradient)
        {
            using var closedScope = NewDisposeScope();
            var (value, closedGradient) = target.ClosedFormValueAndGradient(positions.detach());
            return (value.detach().MoveToOuterDisposeScope(), closedGradient.detach().MoveToOuterDisposeScope());
        }
        using var gradMode = enable_grad();
        using var scope = NewDisposeScope();
        Tensor x = positions.detach().requires_grad_(true);
        Tensor lp = target.Evaluate(x);
        Tensor? g = Gradient(lp, x);
        Tensor gradient = g is null ? zeros_like(x) : g.detach();
        return (lp.detach().MoveToOuterDisposeScope(), gradient.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The same for <paramref name="rows"/> positions given flat on the host ([rows, D] row-major), answered on the host: the
    /// samplers' batched call, whose bookkeeping is host-side.
    /// </summary>
    internal static (double[] LogDensity, double[] Gradient) ValueAndGradient(LogDensity target, double[] positions, int rows)
    {
        using var gradMode = enable_grad();
        using var scope = NewDisposeScope();
        ComputePolicy policy = target.Policy;
        long[] shape = [rows, target.Dimension];
        if (target.HasClosedFormGradient)
        {
            var (value, gradient) = target.ClosedFormValueAndGradient(policy.Tensor(positions, shape));
            return (AdaptiveSampler.Host(value), AdaptiveSampler.Host(gradient));
        }
        Tensor x = policy.Tensor(positions, shape).requires_grad_(true);
        Tensor lp = target.Evaluate(x);
        Tensor? g = Gradient(lp, x);
        return (AdaptiveSampler.Host(lp), g is null ? new double[positions.Length] : AdaptiveSampler.Host(g));
    }

    /// <summary>
    /// The gradient of sum(lp) with respect to <paramref name="x"/> (chains are independent), seeded with ones instead of
    /// summing first: one autograd node fewer, which on small models is a measurable part of a call. Null when lp does not
    /// depend on x.
    /// </summary>
    static Tensor? Gradient(Tensor lp, Tensor x) => autograd.grad([lp], [x], [ones_like(lp)], allow_unused: true)[0];

    /// <summary>
    /// One leapfrog step from <paramref name="z"/> with step size <paramref name="eps"/> (negative: backwards in time): half kick,
    /// drift, then the new position is yielded for its log density and gradient, then the second half kick. The end point is
    /// left in <paramref name="result"/> (an iterator cannot return a value).
    /// </summary>
    internal static IEnumerable<GradientRequest> Step(PhasePoint z, double eps, Metric metric, StrongBox<PhasePoint?> result)
    {
        int d = z.Q.Length;
        var p = new double[d];
        var q = new double[d];
        for (int i = 0; i < d; i++) p[i] = z.P[i] + 0.5 * eps * z.G[i];
        metric.Drift(z.Q, p, eps, q);
        var request = new GradientRequest(q);
        yield return request;
        PhasePoint end = request.With(p);
        for (int i = 0; i < d; i++) p[i] += 0.5 * eps * end.G[i];
        result.Value = end;
    }

    /// <summary>
    /// <paramref name="steps"/> leapfrog steps from <paramref name="start"/>, each position evaluated on its own: the integrator
    /// without the samplers' batching, for checking its properties.
    /// </summary>
    internal static PhasePoint Integrate(LogDensity target, PhasePoint start, double eps, Metric metric, int steps)
    {
        var end = new StrongBox<PhasePoint?>(start);
        for (int s = 0; s < steps; s++)
            foreach (GradientRequest request in Step(end.Value!, eps, metric, end))
            {
                var (value, gradient) = ValueAndGradient(target, request.Position, 1);
                request.Answer(value[0], gradient);
            }
        return end.Value!;
    }
}
