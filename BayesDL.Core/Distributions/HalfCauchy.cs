using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The half-Cauchy distribution |y|, y ~ Cauchy(0, scale), element-wise, support x &gt;= 0 (a common prior on scales,
/// Gelman 2006): log p(x) = log(2/pi) - log scale - log1p((x/scale)^2); entropy H = log(2 pi scale).
/// Mean and variance are infinite (the integrals diverge), returned as +inf.
/// Reparameterised by inversion: x = scale tan(pi u / 2), u ~ U[0, 1).
/// Written here: TorchSharp's checks neither parameters nor support.
/// </summary>
public sealed class HalfCauchy : ScaleDistribution
{
    static readonly double LogTwoOverPi = Math.Log(2 / Math.PI);
    static readonly Scalar One = 1.0.ToScalar(); // kept alive: a temporary Scalar can be finalized during the native call

    /// <summary>The scale is also the median.</summary>
    internal HalfCauchy(Tensor scale, bool validate) : base(nameof(HalfCauchy), scale, validate)
    {
    }

    private protected override Tensor StandardNoise(long[] shape) =>
        rand(shape, dtype: Dtype, device: Device).mul_(Math.PI / 2).tan_();

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValue(value);
        using var scope = NewDisposeScope();
        return LogProbOf((value / Scale).square().log1p()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// With u = x / sigma, the partials d/dx = -2u / (sigma (1 + u^2)) and d/dsigma = (u^2 - 1) / (sigma (1 + u^2)).
    /// </summary>
    internal override LogProbPartials LogProbWithPartials(Tensor value)
    {
        CheckValue(value);
        using var noGraph = no_grad();
        Tensor u = value / Scale, uSquared = u.square();
        Tensor? scaled = null;
        Tensor Scaled() => scaled ??= addcmul(Scale, Scale, uSquared, One); // sigma (1 + u^2) in one operation
        return new LogProbPartials(LogProbOf(uSquared.log1p()))
            .With(value, () => (u / Scaled()).mul_(-2))
            .With(Scale, () => (uSquared - 1) / Scaled());
    }

    void CheckValue(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.NonNegative(value, nameof(HalfCauchy), "value");
    }

    /// <summary>log(2 / pi) - log sigma - log(1 + u^2), from log(1 + u^2).</summary>
    Tensor LogProbOf(Tensor log1pUSquared) => LogTwoOverPi - Scale.log() - log1pUSquared;

    /// <inheritdoc/>
    public override Tensor Entropy() => Scale.log() + Math.Log(2 * Math.PI);

    /// <inheritdoc/>
    public override Tensor Mean => full(BatchShape, double.PositiveInfinity, dtype: Dtype, device: Device);

    /// <inheritdoc/>
    public override Tensor Variance => full(BatchShape, double.PositiveInfinity, dtype: Dtype, device: Device);
}

public static partial class Dist
{
    /// <summary>HalfCauchy(scale) = |Cauchy(0, scale)|, element-wise.</summary>
    public static HalfCauchy HalfCauchy(Tensor scale, bool validate = true) => new(scale, validate);

    /// <summary>HalfCauchy(scale) with a scalar scale on <paramref name="policy"/> (default policy if null).</summary>
    public static HalfCauchy HalfCauchy(double scale, Engine.ComputePolicy? policy = null) =>
        new((policy ?? Engine.ComputePolicy.Default).Scalar(scale), validate: true);
}
