using BayesDL.Mcmc;
using BayesDL.Modeling;
using static TorchSharp.torch;

namespace BayesDL.Variational;

/// <summary>
/// The Laplace approximation N(x*, K^-1) of a model's unconstrained posterior, ADVI's default start
/// (<see cref="AdviInitialization.Laplace"/>): x* = argmax log p~(x) by damped Newton ascent from the origin, K = -grad^2 log p~(x*).
/// Each Newton step takes the exact gradient g and Hessian H at x (one batched evaluation at P copies of x and a double
/// backward: row i of the Hessian is the gradient of g_i at copy i), solves (K + lambda I) d = g with K = -H and the smallest
/// lambda in {0, 1e-8 s, 1e-7 s, ...} (s the mean |K_ii|) for which the Cholesky factor exists (Levenberg-Marquardt damping where
/// the density is not concave), and moves to x + t d with the largest t in {1, 1/2, ..., 2^-30} that satisfies Armijo's
/// condition log p~(x + t d) &gt;= log p~(x) + 1e-4 t g^T d (all t in one batched call). It stops when the undamped Newton
/// decrement g^T K^-1 g / 2, the predicted gain of log p~, is below 1e-8: Newton's method is affine-invariant, so the scale and
/// correlation of the coordinates do not slow it.
/// </summary>
internal static class LaplaceStart
{
    const double Tolerance = 1e-8;

    /// <summary>
    /// Mode x* [P] and K [P, P] (outside any dispose scope: the caller disposes them), or null tensors with the reason in the
    /// start's note when no mode was found within <paramref name="maxSteps"/> Newton steps.
    /// </summary>
    internal static (Tensor? Mode, Tensor? Precision, AdviStart Start) Find(Model model, int maxSteps)
    {
        int p = model.Dimension;
        using var scope = NewDisposeScope();
        Tensor x = zeros(p, dtype: model.Policy.Dtype, device: model.Policy.Device);
        double origin = double.NaN;
        try
        {
            var (lp, g, h) = Derivatives(model, x);
            origin = lp;
            for (int step = 1; step <= maxSteps; step++)
            {
                // One scope per Newton step: only x and its derivatives carry over to the next one.
                using var stepScope = NewDisposeScope();
                Tensor k = -h;
                double scale = Math.Max(Host(k.diagonal().abs().mean()), 1e-300);
                var (factor, lambda) = DampedCholesky(k, scale);
                if (factor is null)
                    return Failed(model, origin, step - 1, "the negative Hessian is not finite, even damped");
                Tensor d = cholesky_solve(g.unsqueeze(1), factor).squeeze(1);
                double decrement = Host((g * d).sum());
                if (lambda == 0 && decrement / 2 < Tolerance)
                    return (x.DetachFromDisposeScope(), k.DetachFromDisposeScope(), new AdviStart(AdviInitialization.Laplace, step - 1,
                        lp, $"Laplace start at the mode after {step - 1} Newton steps (decrement {decrement / 2:G3})."));
                Tensor t = tensor(Enumerable.Range(0, 31).Select(i => Math.Pow(2, -i)).ToArray(), dtype: x.dtype, device: x.device);
                double[] trial;
                using (no_grad())
                    trial = AdaptiveSampler.Host(ModelSampling.Guarded(model, x.unsqueeze(0) + t.unsqueeze(1) * d.unsqueeze(0)));
                int accept = Enumerable.Range(0, trial.Length)
                    .FirstOrDefault(i => double.IsFinite(trial[i]) && trial[i] >= lp + 1e-4 * Math.Pow(2, -i) * decrement, -1);
                if (accept < 0)
                {
                    // Rounding: no step gains, yet the model is already at a mode up to the precision of its dtype.
                    if (lambda == 0 && decrement / 2 < 1e-4)
                        return (x.DetachFromDisposeScope(), k.DetachFromDisposeScope(), new AdviStart(AdviInitialization.Laplace,
                            step - 1, lp, $"Laplace start at the mode up to rounding (decrement {decrement / 2:G3})."));
                    return Failed(model, origin, step - 1, $"no step along the Newton direction raised log p~ (at {lp:G6})");
                }
                var previous = new[] { x, g, h };
                x = (x + Math.Pow(2, -accept) * d).detach();
                (lp, g, h) = Derivatives(model, x);
                x.MoveToOuterDisposeScope();
                g.MoveToOuterDisposeScope();
                h.MoveToOuterDisposeScope();
                foreach (var stale in previous) stale.Dispose();
            }
            return Failed(model, origin, maxSteps, $"no mode within {maxSteps} Newton steps (log p~ still rising, at {lp:G6}: " +
                "an unbounded density such as a funnel's?)");
        }
        catch (Exception e) when (e is ArgumentException or System.Runtime.InteropServices.ExternalException)
        {
            return Failed(model, origin, 0, $"the mode search stopped at an error: {e.Message}");
        }
    }

    static double Host(Tensor scalar) => scalar.to(ScalarType.Float64).item<double>();

    static (Tensor? Mode, Tensor? Precision, AdviStart Start) Failed(Model model, double origin, int steps, string why) =>
        (null, null, new AdviStart(AdviInitialization.Origin, steps, origin,
            $"Origin start (Sigma = I, the model's coordinates): {why}."));

    /// <summary>Cholesky factor of K + lambda I for the smallest lambda that has one, or null.</summary>
    static (Tensor? Factor, double Lambda) DampedCholesky(Tensor k, double scale)
    {
        if (!isfinite(k).all().item<bool>()) return (null, double.NaN);
        Tensor identity = eye(k.shape[0], dtype: k.dtype, device: k.device);
        for (int attempt = 0; attempt <= 40; attempt++)
        {
            double lambda = attempt == 0 ? 0 : scale * Math.Pow(10, attempt - 9);
            var (factor, info) = linalg.cholesky_ex(attempt == 0 ? k : k + lambda * identity);
            if (info.item<int>() == 0 && isfinite(factor).all().item<bool>()) return (factor, lambda);
        }
        return (null, double.NaN);
    }

    /// <summary>log p~(x), its gradient [P] and its symmetrised Hessian [P, P], from one batched evaluation at P copies of x.</summary>
    static (double LogDensity, Tensor Gradient, Tensor Hessian) Derivatives(Model model, Tensor x)
    {
        int p = model.Dimension;
        Tensor copies = x.detach().unsqueeze(0).expand(p, p).clone().requires_grad_(true);
        Tensor lp = model.LogDensity(copies);
        Tensor g = autograd.grad(new[] { lp.sum() }, new[] { copies }, retain_graph: true, create_graph: true)[0];
        Tensor? h = autograd.grad(new[] { g.diagonal().sum() }, new[] { copies }, allow_unused: true)[0];
        h = h is null ? zeros(p, p, dtype: x.dtype, device: x.device) : h.detach();
        double value = Host(lp[0]);
        return (value, g[0].detach(), (h + h.T) / 2);
    }
}
