using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// The importance-weighted bound of Burda, Grosse &amp; Salakhutdinov (ICLR 2016):
/// L_k(x) = E[log (1/k) sum_{i=1..k} w_i], w_i = p(x, z_i) / q(z_i | x), z_i ~ q(z | x) independently.
/// L_1 is the ELBO, L_k &lt;= L_{k+1} &lt;= log p(x), and L_k -&gt; log p(x) as k grows, so with large k it is
/// the standard log-likelihood estimate for VAEs (k = 5000 in the paper; 100 here by default).
/// </summary>
public static class IwaeBound
{
    /// <summary>log (1/k) sum_i exp(logWeights_i) over dimension 0 (stable log-sum-exp): [k, ...] -&gt; [...].</summary>
    public static Tensor FromLogWeights(Tensor logWeights)
    {
        Check.Argument(logWeights.dim() >= 1 && logWeights.shape[0] >= 1, nameof(IwaeBound), "logWeights",
            $"shape {Check.Shape(logWeights.shape)}", "shape [k, ...] with k >= 1");
        using var scope = NewDisposeScope();
        return (logWeights.logsumexp(0) - Math.Log(logWeights.shape[0])).MoveToOuterDisposeScope();
    }
}
