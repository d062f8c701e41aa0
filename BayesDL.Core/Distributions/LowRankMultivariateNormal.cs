using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The multivariate normal with a low-rank-plus-diagonal covariance Sigma = W W^T + diag(D) (W: [k, r], D &gt; 0), the
/// SLANG / low-rank VI family: O(k r^2) work instead of O(k^3). With the capacitance C = I_r + W^T D^-1 W = L_C L_C^T:
/// log det Sigma = log det C + sum log D (matrix determinant lemma) and
/// x^T Sigma^-1 x = x^T D^-1 x - ||L_C^-1 W^T D^-1 x||^2 (Woodbury identity).
/// log p(x) = -1/2 (k log 2 pi + log det Sigma + x^T Sigma^-1 x) for x - mu; entropy H = k/2 (1 + log 2 pi) + 1/2 log det Sigma;
/// reparameterised x = mu + W eps_r + sqrt(D) eps_k. Written here: TorchSharp has no low-rank multivariate normal.
/// </summary>
public sealed class LowRankMultivariateNormal : Distribution, IGaussianCovariance
{
    static readonly double Log2Pi = Math.Log(2 * Math.PI);
    readonly Tensor _capacitanceTril, _whitenedFactor;

    internal LowRankMultivariateNormal(Tensor loc, Tensor covFactor, Tensor covDiag, bool validate)
        : base(Shapes(loc, covFactor, covDiag), new[] { loc.size(-1) }, validate)
    {
        if (Validate)
        {
            Check.Finite(loc, nameof(LowRankMultivariateNormal), "loc");
            Check.Finite(covFactor, nameof(LowRankMultivariateNormal), "covFactor");
            Check.Positive(covDiag, nameof(LowRankMultivariateNormal), "covDiag");
        }
        Loc = loc;
        CovFactor = covFactor;
        CovDiag = covDiag;
        long r = covFactor.size(-1);
        Tensor wtDinv = covFactor.mT / covDiag.unsqueeze(-2);
        _capacitanceTril = linalg.cholesky(eye(r, dtype: covFactor.dtype, device: covFactor.device) + wtDinv.matmul(covFactor));
        _whitenedFactor = linalg.solve_triangular(_capacitanceTril, wtDinv, upper: false); // A = L_C^-1 W^T D^-1, [r, k]
    }

    static long[] Shapes(Tensor loc, Tensor w, Tensor d)
    {
        const string name = nameof(LowRankMultivariateNormal);
        Check.Argument(loc.dim() >= 1, name, "loc", $"shape {Check.Shape(loc.shape)}", "at least one dimension (the event dimension k)",
            "Pass the mean as a vector [k] (or [..., k] for a batch).");
        long k = loc.size(-1);
        Check.Argument(w.dim() >= 2 && w.size(-2) == k, name, "covFactor",
            $"shape {Check.Shape(w.shape)} for loc shape {Check.Shape(loc.shape)}",
            $"[..., {k}, r] (k = {k} rows, one per dimension of loc; r >= 1 columns)",
            w.dim() >= 2 && w.size(-1) == k ? "It looks transposed: pass W as k x r (e.g. W.mT)." : $"Give the factor {k} rows.");
        Check.Argument(w.size(-1) >= 1, name, "covFactor", $"shape {Check.Shape(w.shape)}", "at least one column (rank r >= 1)",
            "Use MultivariateNormal or Independent(Normal) for a purely diagonal covariance.");
        Check.Argument(d.dim() >= 1 && d.size(-1) == k, name, "covDiag",
            $"shape {Check.Shape(d.shape)} for loc shape {Check.Shape(loc.shape)}", $"[..., {k}]",
            $"Pass one positive variance per dimension: a vector of length {k}.");
        return BroadcastShapes(TensorShape.Of(loc)[..^1], TensorShape.Of(w)[..^2], TensorShape.Of(d)[..^1])
            ?? throw Check.Error(name, "loc, covFactor, covDiag",
                $"batch shapes {Check.Shape(loc.shape[..^1])}, {Check.Shape(w.shape[..^2])} and {Check.Shape(d.shape[..^1])}",
                "batch shapes that broadcast together", "Make the trailing batch dimensions equal or 1.");
    }

    /// <summary>The mean mu, shape <c>... ++ [k]</c>.</summary>
    public Tensor Loc { get; }

    /// <summary>The low-rank factor W, shape <c>... ++ [k, r]</c>.</summary>
    public Tensor CovFactor { get; }

    /// <summary>The diagonal D (&gt; 0), shape <c>... ++ [k]</c>.</summary>
    public Tensor CovDiag { get; }

    /// <summary>The covariance W W^T + diag(D) (k x k: for inspection, not used internally).</summary>
    public Tensor Covariance => CovFactor.matmul(CovFactor.mT) + CovDiag.diag_embed();

    /// <inheritdoc/>
    public override Device Device => Loc.device;

    /// <inheritdoc/>
    public override ScalarType Dtype => Loc.dtype;

    /// <inheritdoc/>
    public override bool HasRSample => true;

    /// <inheritdoc/>
    public override Tensor RSample(params long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        long[] shape = ExtendedShape(sampleShape);
        long r = CovFactor.size(-1);
        Tensor epsR = randn(shape[..^1].Append(r).ToArray(), dtype: Dtype, device: Device);
        Tensor epsK = randn(shape, dtype: Dtype, device: Device);
        Tensor x = Loc + CovFactor.matmul(epsR.unsqueeze(-1)).squeeze(-1) + CovDiag.sqrt() * epsK;
        return x.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Finite(value, nameof(LowRankMultivariateNormal), "value");
        using var scope = NewDisposeScope();
        long k = EventShape[0];
        return (-0.5 * (k * Log2Pi + LogDet() + Mahalanobis(value - Loc))).MoveToOuterDisposeScope();
    }

    Tensor LogDet() => 2 * _capacitanceTril.diagonal(0, -2, -1).log().sum(-1) + CovDiag.log().sum(-1);

    Tensor Mahalanobis(Tensor x) =>
        (x.square() / CovDiag).sum(-1) - _whitenedFactor.matmul(x.unsqueeze(-1)).squeeze(-1).square().sum(-1);

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        long k = EventShape[0];
        return (0.5 * k * (1 + Log2Pi) + 0.5 * LogDet()).expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => Loc.expand(ExtendedShape(Array.Empty<long>()));

    /// <inheritdoc/>
    public override Tensor Variance => (CovFactor.square().sum(-1) + CovDiag).expand(ExtendedShape(Array.Empty<long>()));

    /// <summary>The capacitance factor L_C (C = I_r + W^T D^-1 W = L_C L_C^T), shape <c>... ++ [r, r]</c>.</summary>
    internal Tensor CapacitanceTril => _capacitanceTril;

    /// <summary>tr(E^T Sigma^-1 F) = sum(E F / D) - sum((A E)(A F)) (Woodbury, A = L_C^-1 W^T D^-1) for E, F of shape [.., k, m].</summary>
    internal Tensor TraceInverseProduct(Tensor e, Tensor f) =>
        (e * f / CovDiag.unsqueeze(-1)).sum(new long[] { -2, -1 })
            - (_whitenedFactor.matmul(e) * _whitenedFactor.matmul(f)).sum(new long[] { -2, -1 });

    Tensor IGaussianCovariance.LogDetCovariance() => LogDet();

    Tensor IGaussianCovariance.Mahalanobis(Tensor x) => Mahalanobis(x);

    Tensor IGaussianCovariance.DenseFactor => CovFactor;

    Tensor? IGaussianCovariance.DiagonalPart => CovDiag;

    Tensor IGaussianCovariance.TraceInverseDense(Tensor s) =>
        (s.square() / CovDiag.unsqueeze(-1)).sum(new long[] { -2, -1 }) - _whitenedFactor.matmul(s).square().sum(new long[] { -2, -1 });

    Tensor IGaussianCovariance.TraceInverseDiagonal(Tensor d) =>
        (d / CovDiag).sum(-1) - (_whitenedFactor.square() * d.unsqueeze(-2)).sum(new long[] { -2, -1 });
}

public static partial class Dist
{
    /// <summary>N(loc, W W^T + diag(D)) over the last dimension: <paramref name="covFactor"/> W is [k, r],
    /// <paramref name="covDiag"/> D &gt; 0.</summary>
    public static LowRankMultivariateNormal LowRankMultivariateNormal(Tensor loc, Tensor covFactor, Tensor covDiag, bool validate = true) =>
        new(loc, covFactor, covDiag, validate);
}
