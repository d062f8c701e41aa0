using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The half-normal distribution |y|, y ~ N(0, scale^2), element-wise, support x &gt;= 0:
/// log p(x) = log 2 - x^2/(2 scale^2) - log scale - log(2 pi)/2; mean scale sqrt(2/pi),
/// variance scale^2 (1 - 2/pi), entropy H = log(scale sqrt(pi/2)) + 1/2. Reparameterised: x = scale |eps|.
/// KL(HalfNormal(s1) || HalfNormal(s2)) = log(s2/s1) + s1^2/(2 s2^2) - 1/2, as for the zero-mean Normals.
/// Written here: TorchSharp's checks neither parameters nor support.
/// </summary>
public sealed class HalfNormal : ScaleDistribution
{
    static readonly double LogHalfSqrtPiOver2 = Math.Log(2) - 0.5 * Math.Log(2 * Math.PI);

    /// <summary>The scale is that of the underlying zero-mean Normal.</summary>
    internal HalfNormal(Tensor scale, bool validate) : base(nameof(HalfNormal), scale, validate)
    {
    }

    private protected override Tensor StandardNoise(long[] shape) => randn(shape, dtype: Dtype, device: Device).abs_();

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValue(value);
        using var scope = NewDisposeScope();
        return LogProbOfStandardised(value / Scale).MoveToOuterDisposeScope();
    }

    /// <summary>With u = x / sigma, the partials d/dx = -u / sigma and d/dsigma = (u^2 - 1) / sigma.</summary>
    internal override LogProbPartials LogProbWithPartials(Tensor value)
    {
        CheckValue(value);
        using var noGraph = no_grad();
        Tensor u = value / Scale;
        return new LogProbPartials(LogProbOfStandardised(u))
            .With(value, () => (u / Scale).neg_())
            .With(Scale, () => (u.square() - 1) / Scale);
    }

    void CheckValue(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.NonNegative(value, nameof(HalfNormal), "value");
    }

    Tensor LogProbOfStandardised(Tensor u) => LogHalfSqrtPiOver2 - 0.5 * u.square() - Scale.log();

    /// <inheritdoc/>
    public override Tensor Entropy() => Scale.log() + (0.5 * Math.Log(Math.PI / 2) + 0.5);

    /// <inheritdoc/>
    public override Tensor Mean => Scale * Math.Sqrt(2 / Math.PI);

    /// <inheritdoc/>
    public override Tensor Variance => Scale.square() * (1 - 2 / Math.PI);
}

public static partial class Dist
{
    /// <summary>HalfNormal(scale) = |N(0, scale^2)|, element-wise.</summary>
    public static HalfNormal HalfNormal(Tensor scale, bool validate = true) => new(scale, validate);

    /// <summary>HalfNormal(scale) with a scalar scale on <paramref name="policy"/> (default policy if null).</summary>
    public static HalfNormal HalfNormal(double scale, Engine.ComputePolicy? policy = null) =>
        new((policy ?? Engine.ComputePolicy.Default).Scalar(scale), validate: true);
}
