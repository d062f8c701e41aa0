using System.Diagnostics;
using BayesDL.Mcmc;
using BayesDL.Modeling;
using BayesDL.Training;
using static TorchSharp.torch;

namespace BayesDL.Variational;

/// <summary>
/// Automatic differentiation variational inference (Kucukelbir, Tran, Ranganath, Gelman &amp; Blei 2017, "Automatic
/// Differentiation Variational Inference", JMLR 18): a Gaussian q(x) (<see cref="GaussianGuide"/>) on a <see cref="Model"/>'s
/// unconstrained space, fitted by maximising
/// ELBO(q) = E_q[log p(y, T^-1(x)) + log |det J_T^-1(x)|] + H[q],
/// whose first term is exactly the model's <see cref="Model.LogDensity"/> (log-det-Jacobians included). The expectation is
/// estimated with M reparameterised draws x = mu + S eps per step (eq. 10-11), all scored in one batched call of the model,
/// and the negative ELBO is minimised by the one training core (<see cref="Trainer"/>, Adam) instead of Stan's adaptive step
/// sequence; the fitted guide is the average of the iterates over the last quarter of the steps (Polyak &amp; Juditsky 1992).
/// By default (<see cref="AdviInitialization.Laplace"/>) the guide starts at the Laplace approximation N(x*, K^-1) (x* the mode
/// of log p~, K its negative Hessian there) and is optimised in the coordinates z = A^-1 (x - x*) whitened by it: Adam's
/// per-coordinate steps of size ~ eta are then steps of ~ eta posterior sds whatever the model's scales, where from the origin
/// a posterior with sds of 1e-3 along some axes and a long correlated ridge along others is out of reach of any one eta.
/// The fitted guide is summarised like an MCMC posterior: draws mapped to the constrained scale by the model's
/// bijectors, Stan's named summary per scalar element.
/// </summary>
public static class Advi
{
    /// <summary>
    /// Fits a guide of <paramref name="options"/>' family to <paramref name="model"/>. The log density must be finite at the
    /// unconstrained origin, where the guide (or its Laplace start's mode search) starts (else an error naming the first site that is
    /// not); a loss that turns NaN or infinite later stops the fit with the training core's error naming the step. How the fit
    /// started is in <see cref="AdviPosterior.Start"/>.
    /// </summary>
    public static AdviPosterior Fit(Model model, AdviOptions? options = null)
    {
        const string who = $"{nameof(Advi)}.{nameof(Fit)}";
        Validation.Check.Argument(model is not null, who, nameof(model), "null", "a Model",
            "Build one with Model.Create or probModel { }.");
        options ??= new AdviOptions();
        options.Validate();
        Validation.Check.Argument(options.Family != GuideFamily.LowRank || options.Rank <= model!.Dimension, nameof(AdviOptions),
            nameof(AdviOptions.Rank), options.Rank.ToString(), $"at most the model's dimension {model!.Dimension}",
            "Use a smaller rank, or the full-rank family.");
        using (var origin = zeros(1, model.Dimension, dtype: model.Policy.Dtype, device: model.Policy.Device))
            ModelSampling.CheckStart(who, model, origin, site =>
                "ADVI starts every parameter at the unconstrained origin (0 on the real line, 1 for a positive one)" +
                (site is null ? "." : $": check the prior and data of '{site}' there."));

        var clock = Stopwatch.StartNew();
        var (guide, start) = StartingGuide(model, options);
        var trace = new double[options.Steps];
        var trainer = new Trainer(new TrainerOptions(Epochs: options.Steps / AdviOptions.StepsPerEpoch, BatchSize: 1,
            LearningRate: options.LearningRate, Seed: options.Seed, Shuffle: false,
            Schedule: options.Schedule ?? LearningRateSchedule.Cosine(0.01)));
        // Polyak-Ruppert averaging over the last quarter of the steps: the iterates of a stochastic gradient method jitter around
        // the optimum at the scale of the step size; their average does not.
        long averageFrom = options.Steps - options.Steps / 4;
        Tensor[] sums = guide.Parameters.Select(p => zeros_like(p).detach()).ToArray();
        // One row per step of an epoch: the loss ignores the rows (the data is the model's), the core supplies the loop.
        trainer.Fit(guide.Parameters, AdviOptions.StepsPerEpoch, (_, _) => -Elbo(model, guide, options.GradientDraws), onStep: step =>
        {
            trace[step.Step - 1] = -step.Loss;
            if (step.Step <= averageFrom) return;
            using var noGrad = no_grad();
            for (int i = 0; i < sums.Length; i++) sums[i].add_(step.Parameters[i]);
        });
        using (no_grad())
            for (int i = 0; i < sums.Length; i++) guide.Parameters[i].copy_(sums[i] / (options.Steps - averageFrom));
        foreach (Tensor s in sums) s.Dispose();
        clock.Stop();

        Engine.NativeEngine.Seed(options.Seed + 1);
        var (finalElbo, standardError) = FinalElbo(model, guide, options.ElboDraws);
        return new AdviPosterior(model, guide, trace, finalElbo, standardError, options, clock.Elapsed, start);
    }

    /// <summary>
    /// The guide at its start (<see cref="AdviOptions.Initialization"/>): for the Laplace start, x = x* + A z with A = chol(K^-1)
    /// (full rank), A = diag(K_ii)^-1/2 (mean field: the mean-field optimum's scales for a Gaussian posterior) or
    /// A = diag((K^-1)_ii)^1/2 (low rank: the Laplace marginal sds), so that q starts at (nearly) the Laplace approximation and the
    /// optimizer moves z, in which the posterior is close to N(0, I). The engine is seeded with the options' seed before the guide
    /// draws its low-rank factor.
    /// </summary>
    static (GaussianGuide Guide, AdviStart Start) StartingGuide(Model model, AdviOptions options)
    {
        var (mode, precision, start) = options.Initialization == AdviInitialization.Laplace
            ? LaplaceStart.Find(model, options.NewtonSteps)
            : (null, null, new AdviStart(AdviInitialization.Origin, 0, OriginLogDensity(model), "Origin start, as asked."));
        Engine.NativeEngine.Seed(options.Seed);
        if (mode is null || precision is null)
            return (new GaussianGuide(options.Family, model.Dimension, options.Rank, model.Policy), start);
        Tensor basis;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            Tensor covariance = cholesky_inverse(linalg.cholesky(precision));
            basis = (options.Family switch
            {
                GuideFamily.FullRank => linalg.cholesky((covariance + covariance.T) / 2),
                GuideFamily.MeanField => precision.diagonal().rsqrt(),
                _ => covariance.diagonal().sqrt(),
            }).MoveToOuterDisposeScope();
        }
        // Outside any dispose scope: the guide's parameters live as long as the posterior.
        var guide = new GaussianGuide(options.Family, model.Dimension, options.Rank, model.Policy, mode, basis);
        foreach (Tensor t in new[] { mode, precision, basis }) t.Dispose();
        return (guide, start);
    }

    static double OriginLogDensity(Model model)
    {
        using var noGrad = no_grad();
        using var origin = zeros(1, model.Dimension, dtype: model.Policy.Dtype, device: model.Policy.Device);
        using var lp = model.LogDensity(origin);
        return lp.to(ScalarType.Float64).item<double>();
    }

    /// <summary>
    /// The fitted guide's ELBO as the mean of w_m = log p~(x_m) - log q(x_m) over M draws x_m ~ q, and its Monte Carlo standard
    /// error sd(w) / sqrt(M). Unlike mean log p~ + H[q] (the training estimate), whose sd stays near sqrt(P/2 / M) however well q
    /// fits, this one's sd shrinks to 0 as q approaches the posterior (w is then the constant log p(y)).
    /// </summary>
    static (double Elbo, double StandardError) FinalElbo(Model model, GaussianGuide guide, int draws)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor x = guide.Sample(draws);
        Tensor w = (ModelSampling.Guarded(model, x) - guide.LogProb(x)).to(ScalarType.Float64);
        double sd = draws > 1 ? w.std().item<double>() : double.NaN;
        return (w.mean().item<double>(), sd / Math.Sqrt(draws));
    }

    /// <summary>The Monte Carlo ELBO with <paramref name="draws"/> reparameterised draws: mean_m log p~(x_m) + H[q].</summary>
    internal static Tensor Elbo(Model model, GaussianGuide guide, int draws)
    {
        using var scope = NewDisposeScope();
        Tensor x = guide.RSample(draws);
        return (ModelSampling.Guarded(model, x).mean() + guide.Entropy()).MoveToOuterDisposeScope();
    }
}
