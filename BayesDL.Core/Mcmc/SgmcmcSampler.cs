using System.Globalization;
using BayesDL.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The update of a stochastic-gradient MCMC sampler (<see cref="SgmcmcKind"/> has the formulas), driven by the training core in place of
/// its optimizer step: the loop has backpropagated the per-example loss L (whose gradient times N is ∇Ũ) and passes the step's scheduled
/// rate η_t. Noise comes from the engine's generator, which the loop seeds. A weight that turns NaN or infinite stops the run with a
/// <see cref="TrainingDivergedException"/> naming the sampler and the step size.
/// </summary>
internal sealed class SgmcmcSampler : IDisposable
{
    readonly IReadOnlyList<Parameter> _parameters;
    readonly SgmcmcOptions _options;
    readonly long _rows;
    readonly int _batchesPerEpoch;
    readonly Func<long, bool> _explores;
    readonly Tensor[] _state;
    long _step;

    /// <summary>
    /// A sampler moving <paramref name="parameters"/> on a data set of <paramref name="rows"/> rows; <paramref name="explores"/>(t) says
    /// whether step t (from 0) is in a cycle's exploration stage (no noise).
    /// </summary>
    public SgmcmcSampler(IReadOnlyList<Parameter> parameters, SgmcmcOptions options, long rows, int batchesPerEpoch,
        Func<long, bool> explores)
    {
        _parameters = parameters;
        _options = options;
        _rows = rows;
        _batchesPerEpoch = batchesPerEpoch;
        _explores = explores;
        _state = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>The sampler's name in messages.</summary>
    public string Name => _options.Sampler switch
    {
        SgmcmcKind.Sgld => "SGLD",
        SgmcmcKind.PreconditionedSgld => "preconditioned SGLD",
        _ => "SGHMC",
    };

    /// <summary>One step with rate <paramref name="rate"/> η_t.</summary>
    public void Update(double rate)
    {
        bool noise = !_explores(_step);
        _step++;
        double temperature = _options.Temperature;
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (p.grad is not { } perExample) continue;
            Tensor gradient = perExample * _rows; // ∇Ũ
            switch (_options.Sampler)
            {
                case SgmcmcKind.Sgld:
                    p.sub_(gradient * rate);
                    if (noise) p.add_(randn_like(p) * Math.Sqrt(2 * rate * temperature));
                    break;
                case SgmcmcKind.PreconditionedSgld:
                    double a = _options.PreconditionerDecay;
                    _state[i].mul_(a).add_(perExample.square() * (1 - a));
                    Tensor g = (_state[i].sqrt() + _options.PreconditionerEpsilon).reciprocal();
                    p.sub_(g * gradient * rate);
                    if (noise) p.add_(randn_like(p) * (g * (2 * rate * temperature)).sqrt());
                    break;
                default:
                    double alpha = _options.Friction;
                    _state[i].mul_(1 - alpha).sub_(gradient * rate);
                    if (noise) _state[i].add_(randn_like(p) * Math.Sqrt(2 * alpha * rate * temperature));
                    p.add_(_state[i]);
                    break;
            }
            if (!p.isfinite().all().item<bool>())
            {
                int epoch = (int)((_step - 1) / _batchesPerEpoch) + 1;
                string eta = _options.StepSize.ToString("G4", CultureInfo.InvariantCulture);
                throw new TrainingDivergedException(
                    $"{Name} diverged: with step size {eta} (this step's rate {rate.ToString("G4", CultureInfo.InvariantCulture)}) the " +
                    $"weights became NaN or infinite at step {_step} (epoch {epoch}). The step size multiplies the full-data gradient " +
                    $"(N = {_rows}), " +
                    $"so η N = {(_options.StepSize * _rows).ToString("G4", CultureInfo.InvariantCulture)} is the rate per example: lower " +
                    $"{nameof(SgmcmcOptions.StepSize)}, e.g. to {(_options.StepSize / 10).ToString("G4", CultureInfo.InvariantCulture)}.",
                    _step, epoch, double.NaN);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var s in _state) s.Dispose();
    }
}
