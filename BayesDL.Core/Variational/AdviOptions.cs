using BayesDL.Training;

namespace BayesDL.Variational;

/// <summary>Settings of <see cref="Advi.Fit"/> (Kucukelbir et al. 2017).</summary>
/// <param name="Family">The Gaussian family on the unconstrained space.</param>
/// <param name="Rank">r of <see cref="GuideFamily.LowRank"/> (ignored by the other families); at most the model's dimension.</param>
/// <param name="Steps">Optimizer steps (Stan: at most 10,000).</param>
/// <param name="GradientDraws">M, reparameterised draws per step in the ELBO's Monte Carlo estimate (Stan's grad_samples, default 1;
/// the draws are scored in one batched call of the model, so a few more cost little and lower the gradient's noise).</param>
/// <param name="LearningRate">Adam's base step size.</param>
/// <param name="Schedule">How the rate moves over the steps; null: cosine annealing down to 1% of the base rate, which lets the
/// final iterate settle instead of jittering at the noise level of a constant rate.</param>
/// <param name="Draws">Draws from the fitted guide for the named summary on the constrained scale.</param>
/// <param name="ElboDraws">Draws for the final ELBO estimate (Stan's elbo_samples: 100).</param>
/// <param name="Seed">Seeds the low-rank factor's start, the training draws and the summary's draws.</param>
/// <param name="Initialization">Where the guide starts and in which coordinates it is optimised: by default at the Laplace
/// approximation N(x*, K^-1) of the unconstrained posterior, in coordinates whitened by it (the remedy of Pyro's
/// AutoLaplaceApproximation for badly scaled, correlated posteriors, e.g. regressions on unstandardised predictors); or at Stan's
/// origin (<see cref="AdviInitialization"/>).</param>
/// <param name="NewtonSteps">At most this many Newton steps in the Laplace start's mode search (each costs one batched evaluation
/// of the model at P points and a double backward); without a mode by then the fit starts at the origin.</param>
public sealed record AdviOptions(GuideFamily Family = GuideFamily.FullRank, int Rank = 2, int Steps = 10_000, int GradientDraws = 8,
                                 double LearningRate = 0.05, LearningRateSchedule? Schedule = null, int Draws = 4000, int ElboDraws = 1000,
                                 long Seed = 0, AdviInitialization Initialization = AdviInitialization.Laplace, int NewtonSteps = 100)
{
    /// <summary>Steps per epoch of the training core: the ELBO trace is kept per step, the epochs only batch the callbacks.</summary>
    internal const int StepsPerEpoch = 100;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting.</summary>
    public void Validate()
    {
        const string who = nameof(AdviOptions);
        Validation.Check.Argument(Enum.IsDefined(Family), who, nameof(Family), Family.ToString(), "a GuideFamily value",
            "Use GuideFamily.MeanField, GuideFamily.LowRank or GuideFamily.FullRank.");
        Validation.Check.Positive(Rank, who, nameof(Rank), "A rank of 1 to a few captures the main correlations.");
        Validation.Check.Argument(Steps >= StepsPerEpoch && Steps % StepsPerEpoch == 0, who, nameof(Steps), Steps.ToString(),
            $"a positive multiple of {StepsPerEpoch}", "Stan runs up to 10,000 steps.");
        Validation.Check.Positive(GradientDraws, who, nameof(GradientDraws), "Use 1 (Stan's default) to about 10 draws per step.");
        Validation.Check.Positive(LearningRate, who, nameof(LearningRate),
            "0.01 to 0.1 suits Adam on most models; lower it if the ELBO diverges.");
        Validation.Check.Argument(Draws >= 4, who, nameof(Draws), Draws.ToString(), "at least 4",
            "Use a few thousand draws for the summary.");
        Validation.Check.Positive(ElboDraws, who, nameof(ElboDraws), "Stan estimates the ELBO with 100 draws.");
        Validation.Check.Argument(Enum.IsDefined(Initialization), who, nameof(Initialization), Initialization.ToString(),
            "an AdviInitialization value", "Use AdviInitialization.Laplace or AdviInitialization.Origin.");
        Validation.Check.Positive(NewtonSteps, who, nameof(NewtonSteps),
            "Newton's method needs a few to a few dozen steps on a smooth log-concave posterior; use e.g. 100.");
    }
}
