namespace BayesDL.Objectives;

/// <summary>Settings of <see cref="ElboObjective"/>.</summary>
/// <param name="Schedule">KL weighting across minibatches; null means <see cref="KlSchedule.Constant"/>(1), the true ELBO.</param>
/// <param name="WeightSamples">Weight draws averaged per step for the expected log-likelihood (run as one batched pass).</param>
public sealed record ElboOptions(KlSchedule? Schedule = null, int WeightSamples = 1);
