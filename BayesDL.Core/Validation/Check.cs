using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Validation;

/// <summary>
/// The one place that turns bad input into an <see cref="ArgumentException"/>. Every message names the
/// component, the parameter, the offending value, what was expected, and how to fix it, for example
/// <c>Normal: parameter 'scale' must be &gt; 0; found -1 at index [2]. Pass a positive standard deviation.</c>
/// </summary>
public static class Check
{
    /// <summary>Throws when <paramref name="ok"/> is false.</summary>
    public static void Argument(bool ok, string component, string parameter, string found, string expected, string? fix = null)
    {
        if (!ok) throw Error(component, parameter, found, expected, fix);
    }

    /// <summary>The exception <see cref="Argument"/> throws, for callers that build their own condition.</summary>
    public static ArgumentException Error(string component, string parameter, string found, string expected, string? fix = null) =>
        new($"{component}: parameter '{parameter}' must be {expected}; found {found}.{(fix is null ? "" : " " + fix)}", parameter);

    /// <summary>Every element finite and strictly positive.</summary>
    public static void Positive(Tensor value, string component, string parameter)
    {
        if (WithinBounds(value, 0, double.PositiveInfinity, loInclusive: false)) return;
        Elementwise(value, component, parameter, v => v.gt(0), "> 0 (a finite positive number)",
            "Pass a positive value, e.g. softplus of an unconstrained one.");
    }

    /// <summary>Every element finite.</summary>
    public static void Finite(Tensor value, string component, string parameter)
    {
        if (WithinBounds(value, double.NegativeInfinity, double.PositiveInfinity, loInclusive: false)) return;
        Elementwise(value, component, parameter, v => v.isfinite(), "finite (not NaN or infinite)", null);
    }

    /// <summary>Every element in the closed interval [lo, hi].</summary>
    public static void InRange(Tensor value, double lo, double hi, string component, string parameter)
    {
        if (WithinBounds(value, lo, hi, loInclusive: true)) return;
        Elementwise(value, component, parameter, v => v.ge(lo).logical_and(v.le(hi)), $"in [{lo}, {hi}]", null);
    }

    /// <summary>A positive integer count; <paramref name="fix"/> says how to choose one.</summary>
    public static void Positive(long value, string component, string parameter, string? fix = null) =>
        Argument(value > 0, component, parameter, value.ToString(), "a positive integer", fix);

    /// <summary>A finite positive real; <paramref name="fix"/> says how to choose one.</summary>
    public static void Positive(double value, string component, string parameter, string? fix = null) =>
        Argument(double.IsFinite(value) && value > 0, component, parameter, value.ToString("R"), "> 0 (a finite positive number)", fix);

    /// <summary>A finite non-negative real; <paramref name="fix"/> says how to choose one.</summary>
    public static void NonNegative(double value, string component, string parameter, string? fix = null) =>
        Argument(double.IsFinite(value) && value >= 0, component, parameter, value.ToString("R"),
            ">= 0 (a finite non-negative number)", fix);

    /// <summary>A real in [lo, hi]; <paramref name="fix"/> says how to choose one.</summary>
    public static void InRange(double value, double lo, double hi, string component, string parameter, string? fix = null) =>
        Argument(value >= lo && value <= hi, component, parameter, value.ToString("R"), $"in [{lo}, {hi}]", fix);

    /// <summary>
    /// The one way messages write a tensor shape: its sizes in square brackets, <c>[2, 3]</c>, and <c>[]</c> for a scalar
    /// (the notation of the builders' shape walk and of the docs).
    /// </summary>
    public static string Shape(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>A batch of examples of shape <paramref name="perExample"/> in the same notation: <c>[N, 1, 28, 28]</c>.</summary>
    public static string BatchShape(IReadOnlyList<long> perExample, string batch = "N") =>
        "[" + string.Join(", ", perExample.Select(d => d.ToString()).Prepend(batch)) + "]";

    /// <summary>
    /// Every element finite and satisfying <paramref name="ok"/> (an element-wise boolean test); the message names
    /// the first offending element and its index. Used for supports such as {0, 1} or (0, 1).
    /// </summary>
    public static void Satisfies(Tensor value, Func<Tensor, Tensor> ok, string component, string parameter,
        string expected, string? fix = null) =>
        Elementwise(value, component, parameter, ok, expected, fix);

    /// <summary>Every element finite and non-negative.</summary>
    public static void NonNegative(Tensor value, string component, string parameter)
    {
        if (WithinBounds(value, 0, double.PositiveInfinity, loInclusive: true)) return;
        Elementwise(value, component, parameter, v => v.ge(0), ">= 0 (a finite non-negative number)", null);
    }

    /// <summary>
    /// The fast path of the range checks, cheap enough for every training step: one pass (aminmax, which propagates
    /// NaN) and one read-back instead of five element-wise passes. True when every element of a floating-point tensor
    /// is finite and in [lo, hi] (or (lo, hi]); false sends the caller to the slow path, which finds the offending
    /// element for the message. The upper bound is inclusive unless it is +infinity (values must be finite).
    /// </summary>
    static bool WithinBounds(Tensor value, double lo, double hi, bool loInclusive)
    {
        if (!value.is_floating_point() || value.numel() == 0) return false;
        using var scope = NewDisposeScope();
        var (min, max) = value.detach().aminmax();
        var bounds = stack(new[] { min, max }).to(ScalarType.Float64, CPU).data<double>();
        double a = bounds[0], b = bounds[1];
        // NaN fails every comparison, so a NaN anywhere (propagated to min and max) takes the slow path.
        return (loInclusive ? a >= lo : a > lo) && (double.IsPositiveInfinity(hi) ? b < hi : b <= hi)
            && double.IsFinite(a) && double.IsFinite(b);
    }

    static void Elementwise(Tensor value, string component, string parameter, Func<Tensor, Tensor> ok, string expected, string? fix)
    {
        using var scope = NewDisposeScope();
        Tensor good = ok(value).logical_and(value.isfinite());
        if (good.all().item<bool>()) return;
        long flat = good.logical_not().flatten().nonzero()[0, 0].item<long>();
        double bad = value.flatten()[flat].to(ScalarType.Float64).item<double>();
        string where = value.dim() == 0 ? "" : $" at index [{string.Join(", ", Unravel(flat, value.shape))}]";
        throw Error(component, parameter, bad.ToString("R") + where, expected, fix);
    }

    static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = flat % shape[d]; flat /= shape[d]; }
        return index;
    }
}
