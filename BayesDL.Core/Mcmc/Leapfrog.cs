using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The leapfrog (velocity Verlet) integrator of Hamilton's equations for H(q, p) = -log p~(q) + p^T M^-1 p / 2
/// with a diagonal inverse mass matrix M^-1 (Neal 2011, eq. 5.18-5.20): half kick p += eps/2 grad log p~(q),
/// drift q += eps M^-1 p, half kick. Volume-preserving and reversible (negate p, integrate, negate p: back at
/// the start), with energy error O(eps^2) over a fixed trajectory length, so the Metropolis correction
/// min(1, exp(H_start - H_end)) makes HMC exact.
/// </summary>
internal static class Leapfrog
{
    /// <summary>Position, momentum, log density and its gradient at the end of a trajectory (all [C, D] or [C]).</summary>
    internal sealed record State(Tensor Position, Tensor Momentum, Tensor LogDensity, Tensor Gradient);

    /// <summary>log p~ [C] and its gradient [C, D] at <paramref name="positions"/> by autograd (chains are independent, so
    /// grad of the sum).</summary>
    internal static (Tensor LogDensity, Tensor Gradient) ValueAndGradient(LogDensity target, Tensor positions)
    {
        using var gradMode = enable_grad();
        using var scope = NewDisposeScope();
        Tensor x = positions.detach().requires_grad_(true);
        Tensor lp = target.Evaluate(x);
        Tensor? g = autograd.grad(new[] { lp.sum() }, new[] { x }, allow_unused: true)[0];
        Tensor gradient = g is null ? zeros_like(x) : g.detach();
        return (lp.detach().MoveToOuterDisposeScope(), gradient.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The same for <paramref name="rows"/> positions given flat on the host ([rows, D] row-major), answered on the host: the
    /// step of NUTS, whose bookkeeping is host-side.
    /// </summary>
    internal static (double[] LogDensity, double[] Gradient) ValueAndGradient(LogDensity target, double[] positions, int rows)
    {
        using var gradMode = enable_grad();
        using var scope = NewDisposeScope();
        ComputePolicy policy = target.Policy;
        long[] shape = [rows, target.Dimension];
        Tensor x = policy.Tensor(positions, shape).requires_grad_(true);
        Tensor lp = target.Evaluate(x);
        Tensor? g = autograd.grad(new[] { lp.sum() }, new[] { x }, allow_unused: true)[0];
        return (AdaptiveSampler.Host(lp), g is null ? new double[positions.Length] : AdaptiveSampler.Host(g));
    }

    /// <summary>Kinetic energy p^T M^-1 p / 2 per chain: [C].</summary>
    internal static Tensor Kinetic(Tensor momentum, Tensor inverseMass) => 0.5 * (momentum.square() * inverseMass).sum(1);

    /// <summary>
    /// <paramref name="steps"/> leapfrog steps from (q, p) with step sizes <paramref name="stepSize"/> [C, 1]; <paramref name="gradient"/>
    /// is grad log p~(q), reused from the previous trajectory so each step costs one gradient evaluation.
    /// </summary>
    internal static State Integrate(LogDensity target, Tensor position, Tensor momentum, Tensor gradient,
        Tensor stepSize, Tensor inverseMass, int steps)
    {
        using var scope = NewDisposeScope();
        Tensor q = position, p = momentum, g = gradient, lp = empty(0);
        for (int s = 0; s < steps; s++)
        {
            p = p + 0.5 * stepSize * g;
            q = q + stepSize * inverseMass * p;
            (lp, g) = ValueAndGradient(target, q);
            p = p + 0.5 * stepSize * g;
        }
        return new State(q.MoveToOuterDisposeScope(), p.MoveToOuterDisposeScope(),
            lp.MoveToOuterDisposeScope(), g.MoveToOuterDisposeScope());
    }
}
