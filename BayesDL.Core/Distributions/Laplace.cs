using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The Laplace (double-exponential) distribution with location mu and scale b, element-wise over a batch:
/// log p(x) = -log(2 b) - |x - mu| / b; mean mu, variance 2 b^2, entropy H = 1 + log(2 b).
/// Sampled by inverting the CDF, x = mu - b sign(u) log(1 - |u|), u ~ U(-1, 1), which is reparameterised.
/// Written here rather than wrapping TorchSharp's, which checks neither parameters nor support.
/// </summary>
public sealed class Laplace : LocationScaleDistribution
{
    internal Laplace(Tensor loc, Tensor scale, bool validate)
        : base(nameof(Laplace), loc, scale, BroadcastShape(nameof(Laplace), ("loc", loc), ("scale", scale)), validate)
    {
    }

    private protected override Tensor StandardNoise(long[] shape)
    {
        using var scope = NewDisposeScope();
        double eps = finfo(Dtype).eps;
        // u in [eps - 1, 1): keeps log1p(-|u|) finite at the lower end, as torch.distributions does.
        Tensor u = rand(shape, dtype: Dtype, device: Device) * (2 - eps) + (eps - 1);
        return (-u.sign() * (-u.abs()).log1p()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Finite(value, nameof(Laplace), "value");
        using var scope = NewDisposeScope();
        return (-(2 * Scale).log() - (value - Loc).abs() / Scale).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        return (1 + (2 * Scale).log()).expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => Loc.expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor Variance => (2 * Scale.square()).expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor StdDev => (Math.Sqrt(2) * Scale).expand(BatchShape);
}

public static partial class Dist
{
    /// <summary>Laplace(loc, scale), element-wise. <paramref name="validate"/>: check scale &gt; 0 and finiteness.</summary>
    public static Laplace Laplace(Tensor loc, Tensor scale, bool validate = true) => new(loc, scale, validate);

    /// <summary>Laplace(loc, scale) with scalar parameters on <paramref name="policy"/> (default policy if null).</summary>
    public static Laplace Laplace(double loc, double scale, Engine.ComputePolicy? policy = null)
    {
        policy ??= Engine.ComputePolicy.Default;
        return new(policy.Scalar(loc), policy.Scalar(scale), validate: true);
    }
}
