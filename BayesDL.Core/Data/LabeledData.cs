using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Data;

/// <summary>
/// Inputs and targets held as tensors, row i of <see cref="Inputs"/> belonging to row i of
/// <see cref="Targets"/>. Owns its tensors: dispose it when done.
/// </summary>
public sealed class LabeledData : IDisposable
{
    /// <summary>Pairs inputs with targets; the first dimensions must agree.</summary>
    public LabeledData(Tensor inputs, Tensor targets)
    {
        Validation.Check.Argument(inputs.shape[0] == targets.shape[0], nameof(LabeledData), "targets",
            $"{targets.shape[0]} rows", $"as many rows as inputs ({inputs.shape[0]})");
        Inputs = inputs; Targets = targets;
    }

    /// <summary>Inputs, shape [N, ...].</summary>
    public Tensor Inputs { get; }

    /// <summary>Targets, shape [N] (class indices, int64) or [N, ...] (real values).</summary>
    public Tensor Targets { get; }

    /// <summary>Number of rows N.</summary>
    public long Count => Inputs.shape[0];

    /// <summary>The first <paramref name="count"/> rows (copies).</summary>
    public LabeledData Take(long count) => new(Inputs[..(int)Math.Min(count, Count)].clone(),
        Targets[..(int)Math.Min(count, Count)].clone());

    /// <summary>Both tensors moved to a policy's device (targets keep their integer type).</summary>
    public LabeledData To(ComputePolicy policy) =>
        new(policy.Apply(Inputs), Targets.is_floating_point() ? policy.Apply(Targets) : Targets.to(policy.Device));

    /// <inheritdoc/>
    public void Dispose() { Inputs.Dispose(); Targets.Dispose(); }
}
