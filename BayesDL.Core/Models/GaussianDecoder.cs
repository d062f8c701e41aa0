using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// Independent Gaussian features: log p(x | z) = sum_i [-(x_i - m_i)^2 / (2 s_i^2) - log s_i - log(2 pi)/2].
/// With a fixed scale s the decoder outputs the means m (one parameter per feature); with a learned scale it
/// outputs means then log-scales (two per feature), the log-scale floored at <see cref="MinLogScale"/> so the
/// density cannot run off to infinity on constant pixels.
/// </summary>
public sealed class GaussianDecoder : DecoderLikelihood
{
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>A Gaussian with the fixed standard deviation <paramref name="fixedScale"/>, or a learned one when null.</summary>
    public GaussianDecoder(double? fixedScale = null, double minLogScale = -5)
    {
        if (fixedScale is double s) Check.Positive(s, nameof(GaussianDecoder), "fixedScale");
        Check.Argument(double.IsFinite(minLogScale), nameof(GaussianDecoder), "minLogScale", minLogScale.ToString("R"), "finite");
        FixedScale = fixedScale;
        MinLogScale = minLogScale;
    }

    /// <summary>The fixed standard deviation, or null when the decoder learns it.</summary>
    public double? FixedScale { get; }

    /// <summary>Lower bound on a learned log-scale.</summary>
    public double MinLogScale { get; }

    /// <inheritdoc/>
    public override string Name => "GaussianDecoder";

    /// <inheritdoc/>
    public override long ParametersPerFeature => FixedScale is null ? 2 : 1;

    /// <inheritdoc/>
    public override Tensor LogLikelihood(Tensor decoderOutput, Tensor x)
    {
        using var scope = NewDisposeScope();
        (Tensor mean, Tensor logScale) = Split(decoderOutput);
        Tensor z = (x - mean) * (-logScale).exp();
        return (-0.5 * z.square() - logScale - HalfLog2Pi).sum(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Mean(Tensor decoderOutput) => FixedScale is null ? decoderOutput.chunk(2, -1)[0] : decoderOutput.alias();

    /// <inheritdoc/>
    public override void CheckSupport(Tensor x, string component) => Check.Finite(x, component, "x");

    (Tensor Mean, Tensor LogScale) Split(Tensor output)
    {
        if (FixedScale is double s) return (output, full_like(output, Math.Log(s)));
        Tensor[] parts = output.chunk(2, -1);
        return (parts[0], parts[1].clamp_min(MinLogScale));
    }
}
