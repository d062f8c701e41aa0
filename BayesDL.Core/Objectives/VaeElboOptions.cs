using BayesDL.Validation;

namespace BayesDL.Objectives;

/// <summary>
/// How the KL term of a VAE's ELBO is weighted during training. The loss minimised at step t is
/// <c>-(1/B) sum_b E_q[log p(x_b | z)] + beta_t * K</c>, where
/// <list type="bullet">
/// <item>beta_t = Beta * min(1, t / WarmupSteps) (KL warm-up, Sønderby et al. 2016; beta_t = Beta when WarmupSteps = 0),
/// and Beta != 1 is the beta-VAE (Higgins et al. 2017);</item>
/// <item>K = (1/B) sum_b KL(q(z|x_b) || p(z)) without free bits, and with free bits lambda = FreeBitsPerDimension &gt; 0
/// (Kingma et al. 2016) K = sum_j max(lambda, (1/B) sum_b KL_j(x_b)), so dimensions whose batch-averaged KL is
/// below lambda nats get no gradient pulling them to the prior.</item>
/// </list>
/// The reported ELBO is always the unweighted bound E_q[log p(x|z)] - KL. The KL is analytic when the KL registry
/// has the (posterior, prior) pair, else a Monte Carlo estimate from <c>MonteCarloKLSamples</c> reparameterised draws.
/// </summary>
/// <param name="Beta">KL weight (&gt;= 0); 1 gives the ELBO.</param>
/// <param name="WarmupSteps">Steps over which the KL weight rises linearly from 0 to Beta (0: no warm-up).</param>
/// <param name="FreeBitsPerDimension">Free-bits floor lambda in nats per latent dimension (0: off).</param>
/// <param name="MonteCarloKLSamples">Draws for the KL when the prior has no closed form (&gt;= 2: the estimator reports
/// a standard error).</param>
public sealed record VaeElboOptions(double Beta = 1.0, long WarmupSteps = 0,
    double FreeBitsPerDimension = 0.0, int MonteCarloKLSamples = 16)
{
    /// <summary>beta_t = Beta * min(1, step / WarmupSteps).</summary>
    public double KLWeight(long step)
    {
        Validate();
        Check.Argument(step >= 0, nameof(VaeElboOptions), "step", step.ToString(), ">= 0");
        return WarmupSteps == 0 ? Beta : Beta * Math.Min(1.0, (double)step / WarmupSteps);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the bad option.</summary>
    public void Validate()
    {
        Check.Argument(double.IsFinite(Beta) && Beta >= 0, nameof(VaeElboOptions), nameof(Beta), Beta.ToString("R"), ">= 0 and finite",
            "Use 1 for the ELBO, > 1 for a beta-VAE.");
        Check.Argument(WarmupSteps >= 0, nameof(VaeElboOptions), nameof(WarmupSteps), WarmupSteps.ToString(), ">= 0",
            "Use 0 for no warm-up, or the steps over which the KL weight rises to Beta.");
        Check.Argument(double.IsFinite(FreeBitsPerDimension) && FreeBitsPerDimension >= 0, nameof(VaeElboOptions),
            nameof(FreeBitsPerDimension), FreeBitsPerDimension.ToString("R"), ">= 0 nats and finite",
            "Use 0 (off) or a fraction of a nat such as 0.25.");
        Check.Argument(MonteCarloKLSamples >= 2, nameof(VaeElboOptions), nameof(MonteCarloKLSamples),
            MonteCarloKLSamples.ToString(), ">= 2", "Use 2 or more draws (the estimator needs two for its standard error).");
    }
}
