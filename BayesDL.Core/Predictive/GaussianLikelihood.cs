using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Predictive;

/// <summary>
/// y ~ N(mean, sigma^2), log p = -(y - mean)^2 / (2 sigma^2) - log sigma - log(2 pi)/2, summed over the D target
/// dimensions. sigma is fixed, a learned scalar softplus(noise_rho) + 1e-6, or predicted per input (the second half
/// of the network output). Targets are [N, D]; outputs [N, D] (or [N, 2D] when heteroscedastic).
/// </summary>
public sealed class GaussianLikelihood : Likelihood
{
    const double MinSigma = 1e-6;
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);
#pragma warning disable IDE1006 // registered under the field name
    readonly Parameter? noise_rho;
#pragma warning restore IDE1006

    internal GaussianLikelihood(GaussianNoise noise, double sigma) : base(nameof(GaussianLikelihood))
    {
        Check.Argument(Enum.IsDefined(noise), nameof(GaussianLikelihood), nameof(noise), noise.ToString(), "a GaussianNoise value");
        Check.Positive(sigma, nameof(GaussianLikelihood), nameof(sigma));
        Noise = noise; InitialSigma = sigma;
        if (noise == GaussianNoise.Homoscedastic)
        {
            double target = Math.Max(sigma - MinSigma, 1e-6); // inverse softplus, exact above the threshold
            noise_rho = new Parameter(tensor(target > 20 ? target : Math.Log(Math.Exp(target) - 1), dtype: ScalarType.Float32));
        }
        RegisterComponents();
    }

    /// <summary>Fixed, homoscedastic or heteroscedastic.</summary>
    public GaussianNoise Noise { get; }

    /// <summary>The fixed sigma, or the learned sigma's initial value.</summary>
    public double InitialSigma { get; }

    /// <summary>The current noise sigma (fixed or learned); heteroscedastic noise has none.</summary>
    public double NoiseSigma => noise_rho is null ? InitialSigma : (nn.functional.softplus(noise_rho.detach(), 1, 20) + MinSigma)
        .to(ScalarType.Float64).item<double>();

    /// <summary>Splits an output into (mean, sigma) with broadcastable shapes.</summary>
    (Tensor Mean, Tensor Sigma) Split(Tensor output)
    {
        switch (Noise)
        {
            case GaussianNoise.Heteroscedastic:
                long d = output.shape[^1];
                Check.Argument(d % 2 == 0, nameof(GaussianLikelihood), "output", $"last dimension {d}",
                    "even: the mean and the raw scale for each of D targets (2D outputs)", "Give the network 2D outputs.");
                return (output.narrow(-1, 0, d / 2), nn.functional.softplus(output.narrow(-1, d / 2, d / 2), 1, 20) + MinSigma);
            case GaussianNoise.Homoscedastic:
                return (output, nn.functional.softplus(noise_rho!, 1, 20) + MinSigma);
            default:
                return (output, full_like(output, InitialSigma));
        }
    }

    /// <inheritdoc/>
    public override Tensor LogLikelihood(Tensor output, Tensor target)
    {
        RequireRows(output, target);
        using var scope = NewDisposeScope();
        var (mean, sigma) = Split(output);
        Check.Argument(mean.shape.SequenceEqual(target.shape), nameof(GaussianLikelihood), "target",
            "shape " + Check.Shape(target.shape), $"the mean's shape {Check.Shape(mean.shape)}",
            "Regression targets are [N, D]; use target.unsqueeze(1) for one output.");
        Tensor z = (target - mean) / sigma;
        Tensor logp = -0.5 * z.square() - sigma.log() - HalfLog2Pi;
        return logp.view(target.shape[0], -1).sum(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override PredictiveSamples Predictive(Tensor outputs)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (mean, sigma) = Split(outputs);
        Tensor variance = sigma.square().expand_as(mean).contiguous();
        return PredictiveSamples.Regression(mean.contiguous().MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override LikelihoodSpec Describe() => new(LikelihoodKind.Gaussian, Noise, InitialSigma);
}
