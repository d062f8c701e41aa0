using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// Student's t distribution with nu &gt; 0 degrees of freedom, location mu and scale sigma, element-wise:
/// log p(x) = lgamma((nu+1)/2) - lgamma(nu/2) - log(nu pi)/2 - log sigma - (nu+1)/2 log1p(z^2/nu), z = (x - mu)/sigma;
/// mean mu for nu &gt; 1 (undefined, NaN, otherwise); variance sigma^2 nu/(nu - 2) for nu &gt; 2, +inf for 1 &lt; nu &lt;= 2,
/// undefined (NaN) for nu &lt;= 1, as in torch.distributions: NaN here marks a moment that does not exist, not bad input;
/// entropy H = (nu+1)/2 [digamma((nu+1)/2) - digamma(nu/2)] + log(nu)/2 + lbeta(nu/2, 1/2) + log sigma.
/// Reparameterised: x = mu + sigma eps / sqrt(V / nu), eps ~ N(0, 1), V ~ chi^2(nu) = 2 Gamma(nu/2, 1) (pathwise through
/// libtorch's standard-gamma gradient). Written here: TorchSharp's checks nothing.
/// </summary>
public sealed class StudentT : LocationScaleDistribution
{
    static readonly double HalfLogPi = 0.5 * Math.Log(Math.PI);

    internal StudentT(Tensor df, Tensor loc, Tensor scale, bool validate)
        : base(nameof(StudentT), loc, scale, BroadcastShape(nameof(StudentT), ("df", df), ("loc", loc), ("scale", scale)), validate)
    {
        if (Validate) Check.Positive(df, nameof(StudentT), "df");
        Df = df;
    }

    /// <summary>Degrees of freedom nu (&gt; 0).</summary>
    public Tensor Df { get; }

    private protected override Tensor StandardNoise(long[] shape)
    {
        using var scope = NewDisposeScope();
        Tensor v = 2 * _standard_gamma((0.5 * Df).expand(shape), null).clamp_min(finfo(Dtype).tiny);
        Tensor eps = randn(shape, dtype: Dtype, device: Device);
        return (eps * (Df / v).sqrt()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Finite(value, nameof(StudentT), "value");
        using var scope = NewDisposeScope();
        // log1p(z^2 / nu), rewritten for |z| > sqrt(nu) as 2 log(a) + log1p(1/a^2), a = |z|/sqrt(nu), so that the
        // far tails (z^2 overflowing at small nu) stay finite.
        Tensor a = ((value - Loc) / Scale).abs() / Df.sqrt();
        Tensor tail = where(a.gt(1), 2 * a.log() + a.square().reciprocal().log1p(), a.square().log1p());
        Tensor lp = ((Df + 1) / 2).lgamma() - (Df / 2).lgamma() - 0.5 * Df.log() - HalfLogPi - Scale.log() - (Df + 1) / 2 * tail;
        return lp.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        Tensor half = Df / 2, halfPlus = (Df + 1) / 2;
        Tensor lbeta = half.lgamma() + 0.5 * Math.Log(Math.PI) - halfPlus.lgamma(); // lgamma(1/2) = log sqrt(pi)
        Tensor h = halfPlus * (halfPlus.digamma() - half.digamma()) + 0.5 * Df.log() + lbeta + Scale.log();
        return h.expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor loc = Loc.expand(BatchShape);
            return where(Df.gt(1).expand(BatchShape), loc, full_like(loc, double.NaN)).MoveToOuterDisposeScope();
        }
    }

    /// <inheritdoc/>
    public override Tensor Variance
    {
        get
        {
            using var scope = NewDisposeScope();
            Tensor df = Df.expand(BatchShape);
            Tensor v = (Scale.square() * Df / (Df - 2)).expand(BatchShape);
            v = where(df.gt(2), v, where(df.gt(1), full_like(v, double.PositiveInfinity), full_like(v, double.NaN)));
            return v.MoveToOuterDisposeScope();
        }
    }
}

public static partial class Dist
{
    /// <summary>Student's t with <paramref name="df"/> degrees of freedom, location and scale, element-wise.</summary>
    public static StudentT StudentT(Tensor df, Tensor loc, Tensor scale, bool validate = true) => new(df, loc, scale, validate);

    /// <summary>Student's t with scalar parameters on <paramref name="policy"/> (default policy if null).</summary>
    public static StudentT StudentT(double df, double loc = 0, double scale = 1, Engine.ComputePolicy? policy = null)
    {
        policy ??= Engine.ComputePolicy.Default;
        return new(policy.Scalar(df), policy.Scalar(loc), policy.Scalar(scale), validate: true);
    }
}
