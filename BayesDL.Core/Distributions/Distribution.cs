using BayesDL.Engine;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// A probability distribution over tensors, with PyTorch's shape semantics: a sample has shape
/// <c>sampleShape ++ BatchShape ++ EventShape</c>; <see cref="LogProb"/> sums over the event dimensions
/// and returns shape <c>sampleShape ++ BatchShape</c>. Parameters broadcast against each other.
/// <para>
/// Tensor-facing members keep TorchSharp's vocabulary (sample, rsample, log-prob) in .NET casing.
/// Distributions do not own their parameter tensors: the caller's dispose scope does. Every
/// constructor validates its parameters (an <see cref="ArgumentException"/> naming the distribution,
/// the parameter, the value and the valid range) unless <c>validate: false</c> is passed by a hot loop
/// that has already guaranteed validity; <see cref="LogProb"/> validates the support in the same way.
/// </para>
/// </summary>
public abstract class Distribution
{
    /// <summary>Sets the batch and event shapes.</summary>
    protected Distribution(long[] batchShape, long[] eventShape, bool validate)
    {
        BatchShape = batchShape;
        EventShape = eventShape;
        Validate = validate && t_suspensions == 0;
    }

    [ThreadStatic] static int t_suspensions;

    /// <summary>
    /// Until the returned scope is disposed, distributions built on this thread skip their argument and support checks, as
    /// if made with <c>validate: false</c> (torch's <c>Distribution.set_default_validate_args(False)</c>, Pyro's
    /// <c>enable_validation(False)</c>). For inner loops that have already checked their inputs once: the samplers evaluate a
    /// model's log density thousands of times after checking it at the start, and each check costs a reduction and a
    /// device-to-host copy. An invalid parameter then gives NaN or an infinity instead of an error. Scopes nest.
    /// </summary>
    public static IDisposable WithoutValidation()
    {
        t_suspensions++;
        return new ValidationSuspension();
    }

    sealed class ValidationSuspension : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            t_suspensions--;
        }
    }

    /// <summary>The family's name as used in messages and the KL registry, e.g. "Normal".</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Shape of independent, differently parameterised copies.</summary>
    public long[] BatchShape { get; }

    /// <summary>Shape of one draw (empty for univariate distributions).</summary>
    public long[] EventShape { get; }

    /// <summary>Whether parameters and <see cref="LogProb"/> arguments are checked.</summary>
    public bool Validate { get; }

    /// <summary>The device of the parameters.</summary>
    public abstract Device Device { get; }

    /// <summary>The floating-point type of the parameters.</summary>
    public abstract ScalarType Dtype { get; }

    /// <summary>True when <see cref="RSample"/> gives pathwise (reparameterised) gradients.</summary>
    public virtual bool HasRSample => false;

    /// <summary>Draws without gradient: shape <c>sampleShape ++ BatchShape ++ EventShape</c>.</summary>
    public virtual Tensor Sample(params long[] sampleShape)
    {
        using var _ = no_grad();
        return RSample(sampleShape);
    }

    /// <summary>
    /// Draws with gradients flowing to the parameters (the reparameterisation trick, x = g(parameters, noise)).
    /// Throws <see cref="NotSupportedException"/> for families without one (use a score-function estimator).
    /// </summary>
    public virtual Tensor RSample(params long[] sampleShape) =>
        throw new NotSupportedException($"{Name} has no reparameterised sampler (RSample); use Sample, or a " +
            "score-function gradient estimator.");

    /// <summary>log p(value), summed over event dimensions: shape <c>sampleShape ++ BatchShape</c>.</summary>
    public abstract Tensor LogProb(Tensor value);

    /// <summary>Differential (or Shannon) entropy H[p] = -E_p[log p], shape <see cref="BatchShape"/>.</summary>
    public abstract Tensor Entropy();

    /// <summary>The mean, shape <c>BatchShape ++ EventShape</c>.</summary>
    public abstract Tensor Mean { get; }

    /// <summary>The variance, shape <c>BatchShape ++ EventShape</c>.</summary>
    public abstract Tensor Variance { get; }

    /// <summary>The standard deviation sqrt(Variance).</summary>
    public virtual Tensor StdDev => Variance.sqrt();

    /// <summary><c>sampleShape ++ BatchShape ++ EventShape</c>.</summary>
    protected long[] ExtendedShape(long[] sampleShape) => sampleShape.Concat(BatchShape).Concat(EventShape).ToArray();

    /// <summary>The broadcast shape of parameter tensors, or an error naming them when they do not broadcast.</summary>
    protected static long[] BroadcastShape(string distribution, params (string Name, Tensor Value)[] parameters) =>
        BroadcastShapes(parameters.Select(p => TensorShape.Of(p.Value)).ToArray())
        ?? throw Check.Error(distribution, string.Join(", ", parameters.Select(p => p.Name)),
            string.Join(" and ", parameters.Select(p => $"{p.Name} shape {Check.Shape(p.Value.shape)}")),
            "of shapes that broadcast together", "Make the trailing dimensions equal or 1.");

    /// <summary>
    /// The broadcast of <paramref name="shapes"/> (NumPy rules: aligned on the right, each dimension equal or 1), or null
    /// when they do not broadcast. Used instead of TorchSharp's <c>broadcast_shapes</c>, which (0.107.0) aligns shapes of
    /// different lengths on the left: it rejects (2, 4) with (4) and accepts (3) with (3, 2).
    /// </summary>
    internal static long[]? BroadcastShapes(params long[][] shapes)
    {
        var result = Enumerable.Repeat(1L, shapes.Max(s => s.Length)).ToArray();
        foreach (long[] shape in shapes)
            for (int i = 1; i <= shape.Length; i++)
            {
                long d = shape[^i];
                if (d == 1 || d == result[^i]) continue;
                if (result[^i] != 1) return null;
                result[^i] = d;
            }
        return result;
    }

    /// <summary>
    /// Checks that a <see cref="LogProb"/> argument has shape <c>sampleShape ++ S ++ EventShape</c> with S broadcasting
    /// against <see cref="BatchShape"/>: its last <c>EventShape.Length</c> dimensions must equal the event shape exactly
    /// (as in torch.distributions, an event is never broadcast), and the dimensions before them must broadcast against
    /// the batch shape. Otherwise an <see cref="ArgumentException"/> names the distribution, both shapes and the fix,
    /// before the engine sees the tensors. Only shapes are compared (no tensor work), so it runs even without validation.
    /// </summary>
    protected void CheckValueShape(Tensor value)
    {
        long[] shape = TensorShape.Of(value);
        int e = EventShape.Length;
        bool eventOk = shape.Length >= e && shape[(shape.Length - e)..].SequenceEqual(EventShape);
        bool batchOk = eventOk && BroadcastShapes(shape[..(shape.Length - e)], BatchShape) is not null;
        if (batchOk) return;
        string expected = e == 0
            ? $"of a shape that broadcasts against the batch shape {Check.Shape(BatchShape)} (sampleShape ++ {Check.Shape(BatchShape)})"
            : $"of shape sampleShape ++ batch ++ event, ending in the event shape {Check.Shape(EventShape)} with the dimensions before " +
            $"it broadcasting against the batch shape {Check.Shape(BatchShape)}";
        string fix = eventOk || e == 0
            ? "Make its trailing dimensions equal to the batch dimensions or 1 (e.g. unsqueeze a sample dimension in " +
            "front), or draw it with Sample(n)."
            : $"Give it the event shape {Check.Shape(EventShape)} as its last dimension{(e == 1 ? "" : "s")} (one point per row), e.g. " +
            "reshape it or draw it with Sample(n).";
        throw Check.Error(Name, "value", $"shape {Check.Shape(shape)} for batch shape {Check.Shape(BatchShape)} and event shape " +
            $"{Check.Shape(EventShape)}", expected, fix);
    }


    /// <summary>
    /// <see cref="LogProb"/> with its partial derivatives with respect to the value and to each parameter that requires a
    /// gradient, in closed form and without recording a graph, or null when the family has none (the caller then differentiates
    /// <see cref="LogProb"/> by autograd). The same checks as <see cref="LogProb"/>. On small models a gradient's cost is a fixed
    /// cost per recorded operation, so a sampler's gradient of a model's density costs about half as much from these partials as
    /// from autograd through the log density's operations (Stan computes its distributions' gradients the same way).
    /// Temporaries are left in the caller's dispose scope.
    /// </summary>
    internal virtual LogProbPartials? LogProbWithPartials(Tensor value) => null;

    /// <inheritdoc/>
    public override string ToString() => $"{Name}(batch {Check.Shape(BatchShape)}, event {Check.Shape(EventShape)})";
}
