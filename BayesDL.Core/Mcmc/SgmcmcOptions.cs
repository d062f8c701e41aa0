using System.Globalization;
using BayesDL.Validation;

namespace BayesDL.Mcmc;

/// <summary>
/// Settings of stochastic-gradient MCMC over a network's weights (<see cref="SgmcmcSampling"/>). The one training loop runs the sampler
/// (<see cref="SgmcmcKind"/>) in place of an optimizer step for <see cref="Epochs"/> epochs on minibatches; the gradient of the
/// full-data potential U(θ) = −Σ_i log p(y_i | f_θ(x_i)) − log p(θ) is estimated by N / B times the minibatch's. The chain targets
/// p(θ | D)^(1/T) ∝ exp(−U(θ) / T) (T = <see cref="Temperature"/>; T &lt; 1 a cold posterior, Wenzel et al. 2020). With
/// <see cref="Cycles"/> &gt; 0 the step size follows the cyclical cosine of cyclical SG-MCMC (Zhang, Li, Zhang, Chen &amp; Wilson 2020):
/// η_k = η_0 (1 + cos(π r_k)) / 2 with r_k the position in the cycle; while r_k &lt; <see cref="ExplorationFraction"/> β the sampler
/// explores (no noise: SGD, or SGD with momentum for SGHMC), afterwards it samples. With <see cref="StepDecay"/> γ &gt; 0 the step size
/// decreases instead, η_t = η_0 (1 + t / b)^(−γ) (b = <see cref="StepDecayOffset"/>; Welling &amp; Teh 2011's schedule,
/// <see cref="Training.LearningRateSchedule.Decay"/>), so the discretisation bias of the draws vanishes as t grows. Draws are kept
/// after <see cref="BurnInEpochs"/>, every <see cref="Thinning"/>-th sampling step, in managed memory (<see cref="SampleStore"/>).
/// </summary>
/// <param name="Sampler">SGLD, preconditioned SGLD or SGHMC.</param>
/// <param name="Epochs">Passes over the training set, burn-in included.</param>
/// <param name="BatchSize">Rows per minibatch B.</param>
/// <param name="StepSize">η (η_0 under cycles). It multiplies the full-data gradient, so η N is the rate per example: for N = 8,000 and
/// SGHMC, η = 1e-5 is a per-example rate of 0.08.</param>
/// <param name="Chains">Chains run side by side (one weight row each, from their own initial weights).</param>
/// <param name="BurnInEpochs">Epochs before the first kept draw.</param>
/// <param name="Thinning">Keep every k-th sampling step's weights.</param>
/// <param name="Temperature">T &gt; 0: the posterior's temperature (1: the Bayes posterior).</param>
/// <param name="Friction">α ∈ (0, 1] of SGHMC (1 − α is the momentum).</param>
/// <param name="PreconditionerDecay">a ∈ [0, 1) of preconditioned SGLD's RMSprop average.</param>
/// <param name="PreconditionerEpsilon">λ &gt; 0 of preconditioned SGLD.</param>
/// <param name="Cycles">0: constant step size; c &gt; 0: c cosine cycles over the run.</param>
/// <param name="ExplorationFraction">β ∈ [0, 1): the part of each cycle without noise and without draws (cycles only).</param>
/// <param name="Seed">The training core's seed: data order and the sampler's noise.</param>
/// <param name="StepDecay">γ: 0 for no decay, or γ ∈ (0.5, 1] for the decreasing step size η_t = η_0 (1 + t / b)^(−γ) (not with
/// cycles).</param>
/// <param name="StepDecayOffset">b &gt; 0 of the decreasing step size, in steps (minibatches).</param>
public sealed record SgmcmcOptions(SgmcmcKind Sampler = SgmcmcKind.Sghmc, int Epochs = 20, int BatchSize = 128, double StepSize = 1e-5,
                                   int Chains = 1, int BurnInEpochs = 5, int Thinning = 10, double Temperature = 1.0, double Friction = 0.1,
                                   double PreconditionerDecay = 0.99, double PreconditionerEpsilon = 1e-5, int Cycles = 0,
                                   double ExplorationFraction = 0.5, long Seed = 0, double StepDecay = 0, double StepDecayOffset = 100)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range setting, its value and a fix.</summary>
    public void Validate()
    {
        const string who = nameof(SgmcmcOptions);
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        Check.Argument(Enum.IsDefined(Sampler), who, nameof(Sampler), Sampler.ToString(), "an SgmcmcKind value", "Use SgmcmcKind.Sghmc.");
        Check.Positive(Epochs, who, nameof(Epochs), "Pass the epochs of burn-in and sampling together.");
        Check.Positive(BatchSize, who, nameof(BatchSize), "Pass the rows per minibatch, e.g. 128.");
        Check.Positive(StepSize, who, nameof(StepSize), "Start near 0.01 / N (the step η multiplies the full-data gradient).");
        Check.Positive(Chains, who, nameof(Chains), "Run one chain, or 4 for R-hat across chains.");
        Check.Argument(BurnInEpochs >= 0 && BurnInEpochs < Epochs, who, nameof(BurnInEpochs),
            BurnInEpochs.ToString(CultureInfo.InvariantCulture),
            $"in [0, Epochs = {Epochs}) so that some epochs keep draws", "Lower the burn-in or raise Epochs.");
        Check.Positive(Thinning, who, nameof(Thinning), "Use 1 to keep every step's weights.");
        Check.Positive(Temperature, who, nameof(Temperature), "Use 1 for the Bayes posterior; below 1 only for a cold posterior.");
        Check.Argument(Friction > 0 && Friction <= 1, who, nameof(Friction), F(Friction), "a friction α in (0, 1]",
            "Use 0.1 (momentum 0.9).");
        Check.Argument(PreconditionerDecay >= 0 && PreconditionerDecay < 1, who, nameof(PreconditionerDecay), F(PreconditionerDecay),
            "a decay a in [0, 1)", "Use 0.99, RMSprop's usual value.");
        Check.Positive(PreconditionerEpsilon, who, nameof(PreconditionerEpsilon), "Use 1e-5 (Li et al. 2016).");
        Check.Argument(Cycles >= 0, who, nameof(Cycles), Cycles.ToString(CultureInfo.InvariantCulture),
            "0 (constant step) or a number of cycles >= 1");
        Check.Argument(ExplorationFraction >= 0 && ExplorationFraction < 1, who, nameof(ExplorationFraction), F(ExplorationFraction),
            "a fraction β in [0, 1) of each cycle", "Use 0.5 (half of each cycle explores, half samples).");
        Check.Argument(StepDecay == 0 || (StepDecay > 0.5 && StepDecay <= 1), who, nameof(StepDecay), F(StepDecay),
            "0 (no decay) or a power γ in (0.5, 1] (Σ η_t = ∞, Σ η_t² < ∞)", "Use Welling & Teh's 0.55, or 1.");
        Check.Argument(double.IsFinite(StepDecayOffset) && StepDecayOffset > 0, who, nameof(StepDecayOffset), F(StepDecayOffset),
            "a number of steps b > 0", "Use e.g. 100.");
        Check.Argument(StepDecay == 0 || Cycles == 0, who, nameof(StepDecay), $"{F(StepDecay)} with {Cycles} cycles",
            "a decreasing step size or cycles, not both", "Set StepDecay = 0 for cyclical SG-MCMC, or Cycles = 0.");
    }

    /// <summary>The step-size schedule: the cyclical cosine, the decreasing step size, or null (constant).</summary>
    internal Training.LearningRateSchedule? Schedule() =>
        Cycles > 0 ? Training.LearningRateSchedule.Cyclic(Cycles)
        : StepDecay > 0 ? Training.LearningRateSchedule.Decay(StepDecayOffset, StepDecay)
        : null;
}
