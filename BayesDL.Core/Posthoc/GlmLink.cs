namespace BayesDL.Posthoc;

/// <summary>How the GLM predictive of a classifier integrates the softmax over f ~ N(f*, Sigma_f).</summary>
public enum GlmLink
{
    /// <summary>
    /// The probit approximation (MacKay 1992) on the logits' differences (Lu, Ie &amp; Sha 2020):
    /// p_k ∝ 1 / sum_j exp(-(f*_k - f*_j) / sqrt(1 + pi/8 Var(f_k - f_j))), one deterministic prediction (mutual information 0).
    /// Like the softmax it ignores a constant added to every logit, and so the prior variance a classifier's posterior keeps in
    /// that direction; for two classes it is the binary probit.
    /// </summary>
    Probit,

    /// <summary>T draws f_t ~ N(f*, Sigma_f), each through the softmax: the predictive's samples (mutual information &gt; 0).</summary>
    MonteCarlo,
}
