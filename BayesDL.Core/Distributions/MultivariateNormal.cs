using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// The multivariate normal N(mu, Sigma) over the last dimension (event shape [k]), held through the lower Cholesky factor
/// L of Sigma = L L^T: log p(x) = -1/2 ||L^-1 (x - mu)||^2 - sum_i log L_ii - k/2 log(2 pi);
/// entropy H = k/2 (1 + log 2 pi) + sum_i log L_ii; reparameterised x = mu + L eps.
/// Built from a covariance (validated symmetric positive-definite by a Cholesky factorisation: a non-PD matrix is an error
/// naming the batch index and the failing leading minor) or directly from a scale_tril (lower triangular, positive diagonal).
/// Triangular solves, never explicit inverses, so near-singular but positive-definite covariances stay accurate.
/// Written here: TorchSharp's checks nothing.
/// </summary>
public sealed class MultivariateNormal : Distribution, IGaussianCovariance
{
    static readonly double Log2Pi = Math.Log(2 * Math.PI);

    internal MultivariateNormal(Tensor loc, Tensor scaleTril, bool validate)
        : base(Shapes(loc, scaleTril, "scaleTril").Batch, Shapes(loc, scaleTril, "scaleTril").Event, validate)
    {
        if (Validate)
        {
            Check.Finite(loc, nameof(MultivariateNormal), "loc");
            using var scope = NewDisposeScope();
            Check.Satisfies(scaleTril, v => v.triu(1).eq(0),
                nameof(MultivariateNormal), "scaleTril", "lower triangular (zeros above the diagonal)");
            Check.Positive(scaleTril.diagonal(0, -2, -1), nameof(MultivariateNormal), "scaleTril (diagonal)");
        }
        Loc = loc;
        ScaleTril = scaleTril;
    }

    /// <summary>
    /// The batch and event shapes of (loc, matrix), where the matrix (<paramref name="parameter"/>: the covariance or its
    /// scale_tril) must be square k x k with k = loc's last dimension: checked here, before any factorisation, so that a
    /// wrongly sized matrix is an error naming both shapes and never a libtorch message.
    /// </summary>
    internal static (long[] Batch, long[] Event) Shapes(Tensor loc, Tensor l, string parameter)
    {
        Check.Argument(loc.dim() >= 1, nameof(MultivariateNormal), "loc", $"shape {Check.Shape(loc.shape)}",
            "at least one dimension (the event dimension k)", "Pass the mean as a vector [k] (or [..., k] for a batch).");
        long k = loc.size(-1);
        if (l.dim() < 2 || l.size(-1) != l.size(-2))
            throw Check.Error(nameof(MultivariateNormal), parameter, $"shape {Check.Shape(l.shape)}",
                $"a square matrix [..., {k}, {k}] (k = {k}, loc's last dimension)",
                l.dim() < 2 ? $"Pass a {k} x {k} matrix; for independent variances use torch.diag_embed(variances)." :
                $"It is {l.size(-2)} x {l.size(-1)}: pass a {k} x {k} matrix.");
        if (l.size(-1) != k)
            throw Check.Error(nameof(MultivariateNormal), parameter, $"shape {Check.Shape(l.shape)} for loc shape {Check.Shape(loc.shape)}",
                $"[..., {k}, {k}] (square, matching loc's last dimension {k})",
                $"Make the {parameter} {k} x {k}, or the mean of length {l.size(-1)}.");
        long[] batch = BroadcastShapes(TensorShape.Of(loc)[..^1], TensorShape.Of(l)[..^2])
            ?? throw Check.Error(nameof(MultivariateNormal), "loc, " + parameter,
            $"batch shapes {Check.Shape(loc.shape[..^1])} and {Check.Shape(l.shape[..^2])}",
                "batch shapes that broadcast together", "Make the trailing batch dimensions equal or 1.");
        return (batch, new[] { k });
    }

    /// <summary>Cholesky-factorises a covariance, with an error naming the batch index and minor when it is not
    /// positive-definite.</summary>
    internal static Tensor Cholesky(Tensor covariance, bool validate, string component = nameof(MultivariateNormal))
    {
        if (!validate) return linalg.cholesky(covariance);
        Check.Finite(covariance, component, "covariance");
        using var scope = NewDisposeScope();
        double tolerance = (covariance.dtype == ScalarType.Float64 ? 1e-10 : 1e-5) * covariance.abs().max()
            .to(ScalarType.Float64).item<double>();
        Check.Satisfies((covariance - covariance.mT).abs().amax(new long[] { -2, -1 }), v => v.le(tolerance), component,
            "covariance (largest |C - C^T|)", $"<= {tolerance:G3} (a symmetric matrix)", "Symmetrise it, e.g. (C + C^T) / 2.");
        var (l, info) = linalg.cholesky_ex(covariance);
        if (info.ne(0).any().item<bool>())
        {
            long flat = info.flatten().ne(0).nonzero()[0, 0].item<long>();
            long order = info.flatten()[flat].to(ScalarType.Int64).item<long>();
            string where = info.dim() == 0 ? "" : $" at batch element {flat}";
            throw Check.Error(component, "covariance", $"a matrix whose leading minor of order {order} is not positive{where}",
                "symmetric positive-definite", "Add jitter to the diagonal or build it as A A^T + diag(d) with d > 0.");
        }
        return l.MoveToOuterDisposeScope();
    }

    /// <summary>The mean mu, shape <c>... ++ [k]</c>.</summary>
    public Tensor Loc { get; }

    /// <summary>The lower Cholesky factor L of the covariance (positive diagonal).</summary>
    public Tensor ScaleTril { get; }

    /// <summary>The covariance L L^T.</summary>
    public Tensor Covariance => ScaleTril.matmul(ScaleTril.mT);

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
        Tensor eps = randn(ExtendedShape(sampleShape), dtype: Dtype, device: Device);
        return (Loc + ScaleTril.matmul(eps.unsqueeze(-1)).squeeze(-1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        CheckValueShape(value);
        if (Validate) Check.Finite(value, nameof(MultivariateNormal), "value");
        using var scope = NewDisposeScope();
        long k = EventShape[0];
        Tensor lp = -0.5 * (Mahalanobis(value - Loc) + k * Log2Pi) - HalfLogDet();
        return lp.MoveToOuterDisposeScope();
    }

    Tensor HalfLogDet() => ScaleTril.diagonal(0, -2, -1).log().sum(-1);

    /// <inheritdoc/>
    public override Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        long k = EventShape[0];
        return (0.5 * k * (1 + Log2Pi) + HalfLogDet()).expand(BatchShape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean => Loc.expand(ExtendedShape(Array.Empty<long>()));

    /// <inheritdoc/>
    public override Tensor Variance => ScaleTril.square().sum(-1).expand(ExtendedShape(Array.Empty<long>()));

    Tensor IGaussianCovariance.LogDetCovariance() => 2 * HalfLogDet();

    /// <summary>||L^-1 x||^2 by a triangular solve.</summary>
    internal Tensor Mahalanobis(Tensor x) =>
        linalg.solve_triangular(ScaleTril, x.unsqueeze(-1), upper: false).square().sum(new long[] { -2, -1 });

    Tensor IGaussianCovariance.Mahalanobis(Tensor x) => Mahalanobis(x);

    Tensor IGaussianCovariance.DenseFactor => ScaleTril;

    Tensor? IGaussianCovariance.DiagonalPart => null;

    Tensor IGaussianCovariance.TraceInverseDense(Tensor s) =>
        linalg.solve_triangular(ScaleTril, s, upper: false).square().sum(new long[] { -2, -1 });

    Tensor IGaussianCovariance.TraceInverseDiagonal(Tensor d)
    {
        Tensor inverse = linalg.solve_triangular(ScaleTril, eye(EventShape[0], dtype: Dtype, device: Device), upper: false);
        return (inverse.square() * d.unsqueeze(-2)).sum(new long[] { -2, -1 });
    }
}

public static partial class Dist
{
    /// <summary>N(loc, covariance) over the last dimension; the covariance must be symmetric positive-definite.</summary>
    public static MultivariateNormal MultivariateNormal(Tensor loc, Tensor covariance, bool validate = true)
    {
        Distributions.MultivariateNormal.Shapes(loc, covariance, "covariance");
        return new(loc, Distributions.MultivariateNormal.Cholesky(covariance, validate), validate);
    }

    /// <summary>N(loc, L L^T) from a lower-triangular <paramref name="scaleTril"/> with positive diagonal.</summary>
    public static MultivariateNormal MultivariateNormalTril(Tensor loc, Tensor scaleTril, bool validate = true) =>
        new(loc, scaleTril, validate);
}
