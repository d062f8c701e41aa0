using System.Globalization;
using BayesDL.Validation;

namespace BayesDL.Training;

/// <summary>
/// How the <see cref="Trainer"/>'s learning rate η_t moves over the run (set <see cref="TrainerOptions.Schedule"/>). The rate of
/// optimizer step t (counted from 0 over the whole run, M minibatches per epoch, T = epochs · M steps in all, base rate η_0 =
/// <see cref="TrainerOptions.LearningRate"/>) is a function of t alone, so a resumed run continues the schedule exactly:
/// <list type="bullet">
/// <item><see cref="Constant"/>: η_t = η_0;</item>
/// <item><see cref="Step"/>(k, γ): η_t = η_0 γ^⌊e / k⌋ with e = ⌊t / M⌋ the step's epoch counted from 0 (the rate is multiplied by γ
/// every k epochs);</item>
/// <item><see cref="Cosine"/>(m): η_t = η_0 (m + (1 − m) (1 + cos(π t / T)) / 2), from η_0 at the first step down towards m η_0
/// (Loshchilov &amp; Hutter 2017, one cycle without restarts);</item>
/// <item><see cref="Cyclic"/>(c, m): the run cut into c cycles of L = ⌈T / c⌉ steps, and in each the cosine from η_0 down towards
/// m η_0: η_t = η_0 (m + (1 − m) (1 + cos(π r_t)) / 2) with r_t = (t mod L) / L ∈ [0, 1) the position in the cycle
/// (<see cref="CyclePosition"/>). With m = 0 this is the cyclical step size of cyclical SG-MCMC (Zhang, Li, Zhang, Chen &amp;
/// Wilson 2020, eq. 1); SWAG's cyclic rate (Maddox et al. 2019) collects at the ends of the cycles.</item>
/// <item><see cref="Decay"/>(b, γ): η_t = η_0 (1 + t / b)^(−γ), the decreasing step size of SGLD (Welling &amp; Teh 2011, whose
/// ε_t = a (b + t)^(−γ) is this with a = η_0 b^γ).</item>
/// </list>
/// </summary>
public sealed record LearningRateSchedule
{
    /// <summary>The schedule shapes.</summary>
    public enum Shape { Constant, Step, Cosine, Cyclic, Decay }

    LearningRateSchedule(Shape kind, int everyEpochs, double factor, int cycles = 1, double offset = 1)
    {
        Kind = kind;
        EveryEpochs = everyEpochs;
        Factor = factor;
        Cycles = cycles;
        Offset = offset;
    }

    /// <summary>b of <see cref="Decay"/>: the steps over which the rate falls to η_0 2^(−γ) (1 for the other shapes).</summary>
    public double Offset { get; }

    /// <summary>c of <see cref="Cyclic"/>: the number of cycles the run is cut into (1 for the other shapes).</summary>
    public int Cycles { get; }

    /// <summary>The shape.</summary>
    public Shape Kind { get; }

    /// <summary>k of <see cref="Step"/>: epochs between two decays (1 for the other shapes).</summary>
    public int EveryEpochs { get; }

    /// <summary>γ of <see cref="Step"/> (the decay factor), m of <see cref="Cosine"/> and <see cref="Cyclic"/> (the final rate over
    /// the base rate), the power γ of <see cref="Decay"/>, 1 for <see cref="Constant"/>.</summary>
    public double Factor { get; }

    /// <summary>η_t = η_0 throughout (the default).</summary>
    public static LearningRateSchedule Constant { get; } = new(Shape.Constant, 1, 1.0);

    /// <summary>Multiplies the rate by <paramref name="factor"/> γ ∈ (0, 1] every <paramref name="everyEpochs"/> k ≥ 1 epochs.</summary>
    public static LearningRateSchedule Step(int everyEpochs, double factor)
    {
        Check.Positive(everyEpochs, nameof(LearningRateSchedule), nameof(everyEpochs));
        Check.Argument(double.IsFinite(factor) && factor > 0 && factor <= 1, nameof(LearningRateSchedule), nameof(factor),
            factor.ToString("R", CultureInfo.InvariantCulture), "a decay factor γ in (0, 1]",
            "Use e.g. LearningRateSchedule.Step(10, 0.1) for a tenfold decay every 10 epochs.");
        return new(Shape.Step, everyEpochs, factor);
    }

    /// <summary>Cosine annealing from the base rate down to <paramref name="minimumFactor"/> m ∈ [0, 1] times it at the
    /// end of the run.</summary>
    public static LearningRateSchedule Cosine(double minimumFactor = 0.0)
    {
        Check.Argument(double.IsFinite(minimumFactor) && minimumFactor >= 0 && minimumFactor <= 1,
            nameof(LearningRateSchedule), nameof(minimumFactor),
            minimumFactor.ToString("R", CultureInfo.InvariantCulture), "a final fraction m of the base rate in [0, 1]",
            "Use 0 to anneal to zero, or e.g. 0.01.");
        return new(Shape.Cosine, 1, minimumFactor);
    }

    /// <summary>
    /// Cosine annealing restarted <paramref name="cycles"/> c ≥ 1 times: each of c equal parts of the run anneals from the base rate
    /// down towards <paramref name="minimumFactor"/> m ∈ [0, 1] times it (Zhang et al. 2020's cyclical step size for m = 0).
    /// </summary>
    public static LearningRateSchedule Cyclic(int cycles, double minimumFactor = 0.0)
    {
        Check.Positive(cycles, nameof(LearningRateSchedule), nameof(cycles), "Use a few cycles, e.g. 4 (one cycle is Cosine).");
        Check.Argument(double.IsFinite(minimumFactor) && minimumFactor >= 0 && minimumFactor <= 1, nameof(LearningRateSchedule),
            nameof(minimumFactor), minimumFactor.ToString("R", CultureInfo.InvariantCulture),
            "a final fraction m of the base rate in [0, 1]", "Use 0 to anneal to zero within each cycle, or e.g. 0.01.");
        return new(Shape.Cyclic, 1, minimumFactor, cycles);
    }

    /// <summary>
    /// The polynomially decreasing rate η_t = η_0 (1 + t / b)^(−γ) of SGLD (Welling &amp; Teh 2011), with b =
    /// <paramref name="offsetSteps"/> &gt; 0 and γ = <paramref name="power"/> ∈ (0.5, 1]: then Σ_t η_t = ∞ and Σ_t η_t² &lt; ∞ (the
    /// Robbins-Monro conditions under which SGLD's draws converge to the posterior without a Metropolis correction).
    /// </summary>
    public static LearningRateSchedule Decay(double offsetSteps, double power)
    {
        Check.Argument(double.IsFinite(offsetSteps) && offsetSteps > 0, nameof(LearningRateSchedule), nameof(offsetSteps),
            offsetSteps.ToString("R", CultureInfo.InvariantCulture), "a number of steps b > 0",
            "Use e.g. 100: the rate halves (for γ = 1) after b steps.");
        Check.Argument(double.IsFinite(power) && power > 0.5 && power <= 1, nameof(LearningRateSchedule), nameof(power),
            power.ToString("R", CultureInfo.InvariantCulture), "a power γ in (0.5, 1] (Σ η_t = ∞, Σ η_t² < ∞)",
            "Use Welling & Teh's 0.55, or 1.");
        return new(Shape.Decay, 1, power, 1, offsetSteps);
    }

    /// <summary>
    /// r_t = (t mod L) / L ∈ [0, 1), the position of step <paramref name="step"/> (from 0) in its cycle of L = ⌈T / c⌉ steps
    /// (T = <paramref name="totalSteps"/>); the whole run is one cycle for the shapes other than <see cref="Cyclic"/>.
    /// </summary>
    public double CyclePosition(long step, long totalSteps)
    {
        long length = CycleLength(totalSteps);
        return (double)(step % length) / length;
    }

    /// <summary>L = ⌈T / c⌉, the steps of one cycle (the last cycle may be shorter).</summary>
    public long CycleLength(long totalSteps) => Math.Max(1, (totalSteps + Cycles - 1) / Cycles);

    /// <summary>
    /// The rate of step <paramref name="step"/> (from 0) of a run of <paramref name="totalSteps"/> steps with
    /// <paramref name="batchesPerEpoch"/> minibatches per epoch and base rate <paramref name="baseRate"/>.
    /// </summary>
    public double Rate(double baseRate, long step, int batchesPerEpoch, long totalSteps) => Kind switch
    {
        Shape.Step => baseRate * Math.Pow(Factor, step / batchesPerEpoch / EveryEpochs),
        Shape.Cosine => baseRate * (Factor + (1 - Factor) * (1 + Math.Cos(Math.PI * Math.Min(step, totalSteps) / totalSteps)) / 2),
        Shape.Cyclic => baseRate * (Factor + (1 - Factor) * (1 + Math.Cos(Math.PI * CyclePosition(step, totalSteps))) / 2),
        Shape.Decay => baseRate * Math.Pow(1 + step / Offset, -Factor),
        _ => baseRate,
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        Shape.Step => $"Step(every {EveryEpochs} epochs, factor {Factor.ToString("R", CultureInfo.InvariantCulture)})",
        Shape.Cosine => $"Cosine(minimum factor {Factor.ToString("R", CultureInfo.InvariantCulture)})",
        Shape.Cyclic => $"Cyclic({Cycles} cycles, minimum factor {Factor.ToString("R", CultureInfo.InvariantCulture)})",
        Shape.Decay => $"Decay(offset {Offset.ToString("R", CultureInfo.InvariantCulture)} steps, " +
                       $"power {Factor.ToString("R", CultureInfo.InvariantCulture)})",
        _ => "Constant",
    };
}
