namespace BayesDL.Posthoc;

/// <summary>How the GLM predictive of a classifier integrates the softmax over f ~ N(f*, Sigma_f).</summary>
public enum GlmLink
{
    /// <summary>
    /// The probit approximation (MacKay 1992; Daxberger et al. 2021): p ≈ softmax(f* / sqrt(1 + pi/8 diag Sigma_f)), one
    /// deterministic prediction (mutual information 0).
    /// </summary>
    Probit,

    /// <summary>T draws f_t ~ N(f*, Sigma_f), each through the softmax: the predictive's samples (mutual information &gt; 0).</summary>
    MonteCarlo,
}
