using BayesDL.Training;
using BayesDL.Validation;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Swag;

/// <summary>
/// Collects SWAG's moments from snapshots of weights (Maddox et al. 2019, Algorithm 1), fed by the training core's step callback
/// (<see cref="StepReport.Parameters"/>) or any flat vector: after snapshot n, θ̄_n = θ̄_{n−1} + (θ_n − θ̄_{n−1}) / n, the second
/// moment likewise, and the deviation θ_n − θ̄_n joins the last K kept (the oldest dropped). Weights are flattened parameter by
/// parameter in order, each row-major (the layout of <c>FunctionalNetwork</c>'s theta for one network). Moments are float64, on
/// the weights' device. <see cref="ToGaussian"/> makes the posterior.
/// </summary>
public sealed class SwagCollector : IDisposable
{
    readonly Queue<Tensor> _deviations = new();
    Tensor? _mean, _square;

    SwagCollector(int rank) => Rank = rank;

    /// <summary>A collector of rank <paramref name="rank"/> K ≥ 2 (the paper's default is 20).</summary>
    public static SwagCollector Create(int rank = 20)
    {
        Check.Argument(rank >= 2, nameof(SwagCollector), nameof(rank), rank.ToString(),
            "a rank K >= 2 (the low-rank part divides by K - 1)",
            "Use the paper's K = 20, or fewer for short runs.");
        return new SwagCollector(rank);
    }

    /// <summary>K, the number of deviations kept.</summary>
    public int Rank { get; }

    /// <summary>n, the snapshots collected so far.</summary>
    public int Snapshots { get; private set; }

    /// <summary>Adds the current values of <paramref name="parameters"/> (e.g. a <see cref="StepReport"/>'s) as one snapshot.</summary>
    public void Collect(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Collect(cat(parameters.Select(p => p.detach().reshape(-1)).ToArray(), 0));
    }

    /// <summary>Adds the flat weight vector <paramref name="theta"/> [D] as one snapshot (copied).</summary>
    public void Collect(Tensor theta)
    {
        Check.Argument(theta.dim() == 1, nameof(SwagCollector), nameof(theta), $"shape {Check.Shape(theta.shape)}", "a flat vector [D]");
        Check.Argument(_mean is null || theta.shape[0] == _mean.shape[0], nameof(SwagCollector), nameof(theta),
            $"{theta.shape[0]} weights", $"the {_mean?.shape[0]} weights of the earlier snapshots");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor t = theta.detach().to(ScalarType.Float64);
        Snapshots++;
        double w = 1.0 / Snapshots;
        Tensor mean = _mean is null ? t.clone() : _mean + (t - _mean) * w;
        Tensor square = _square is null ? t.square() : _square + (t.square() - _square) * w;
        _mean?.Dispose();
        _square?.Dispose();
        _mean = mean.DetachFromDisposeScope();
        _square = square.DetachFromDisposeScope();
        _deviations.Enqueue((t - mean).DetachFromDisposeScope());
        if (_deviations.Count > Rank) _deviations.Dequeue().Dispose();
    }

    /// <summary>
    /// The SWAG posterior of the snapshots so far (copies: collecting may go on). Throws <see cref="InvalidOperationException"/>
    /// when fewer than K snapshots were collected, naming both numbers.
    /// </summary>
    public SwagGaussian ToGaussian()
    {
        if (Snapshots < Rank)
            throw new InvalidOperationException(
                $"{nameof(SwagCollector)}: rank K = {Rank} exceeds the {Snapshots} snapshots collected; the low-rank part needs K " +
                $"deviations. Collect at least {Rank} snapshots (more epochs after the burn-in, or more snapshots per epoch) or lower " +
                $"the rank to {Snapshots}.");
        using var scope = NewDisposeScope();
        Tensor mean = _mean!.clone();
        Tensor variance = (_square! - mean.square()).clamp_min(0.0);
        Tensor deviations = stack(_deviations.ToArray());
        return new SwagGaussian(mean.MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope(), deviations.MoveToOuterDisposeScope(),
            Snapshots);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _mean?.Dispose();
        _square?.Dispose();
        foreach (var d in _deviations) d.Dispose();
        _deviations.Clear();
    }
}
