using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// sblrc-blr's log density on the unconstrained space (beta ~ N(0, 10^2 I), sigma ~ N(0, 10) on sigma &gt; 0 through
/// sigma = e^s, y ~ N(X beta, sigma^2)) written in as few bare TorchSharp operations as it allows, the reference for the
/// model API's cost in the posteriordb workload: how fast autograd can be on this model at all. One fused multiply-add for the
/// residuals, one sum of squares, one exponential shared by the likelihood and the prior:
/// log p~(beta, s) = -||y - X beta||^2 e^(-2s) / 2 - (N - 1) s - ||beta||^2 / 200 - e^(2s) / 200, equal to the model's
/// density up to its normalising constants (the -N s of the likelihood plus the log-Jacobian s).
/// </summary>
internal sealed class RawTorchSharpBlr
{
    readonly Tensor _negativeDesignT, _y;
    readonly long _coefficients;
    readonly double _observations;

    /// <summary>From posteriordb's data: X [N, D] and y [N].</summary>
    public RawTorchSharpBlr(IReadOnlyDictionary<string, Tensor> data)
    {
        Tensor x = data["X"];
        _y = data["y"];
        _negativeDesignT = x.T.neg().contiguous();
        _coefficients = x.shape[1];
        _observations = x.shape[0];
    }

    /// <summary>Positions [C, D + 1] (beta, then s = log sigma) -&gt; [C].</summary>
    public Tensor LogDensity(Tensor positions)
    {
        using var scope = NewDisposeScope();
        Tensor beta = positions.narrow(1, 0, _coefficients);
        Tensor logSigma = positions.narrow(1, _coefficients, 1).squeeze(1);
        Tensor residual = addmm(_y, beta, _negativeDesignT, 1, 1); // y - beta X^T, [C, N]
        Tensor precision = (logSigma * -2.0).exp();             // 1 / sigma^2
        Tensor value = residual.square().sum(1L) * precision * -0.5 - logSigma * (_observations - 1)
                       - beta.square().sum(1L) * 0.005 - precision.reciprocal() * 0.005;
        return value.MoveToOuterDisposeScope();
    }
}
