namespace BayesDL.Objectives;

/// <summary>Settings of <see cref="ElboObjective"/>.</summary>
/// <param name="Schedule">KL weighting across minibatches; null means <see cref="KLSchedule.Constant"/>(1), the true ELBO.</param>
/// <param name="WeightSamples">Weight draws averaged per step for the expected log-likelihood (run as one batched pass).</param>
public sealed record ElboOptions(KLSchedule? Schedule = null, int WeightSamples = 1)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the out-of-range setting, its value and a fix.</summary>
    public void Validate() =>
        Validation.Check.Positive(WeightSamples, nameof(ElboOptions), nameof(WeightSamples),
            "Use 1 weight draw per step, or a few for a lower-variance gradient.");
}
