using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Element-wise Monte Carlo dropout (Gal &amp; Ghahramani, ICML 2016): y = x ⊙ z / (1 - p) with
/// z_i ~ Bernoulli(1 - p) independently per element, in training AND in evaluation mode, so that
/// p(y = c | x) ≈ (1/T) Σ_t softmax(f_θ_t(x)) over T passes approximates the posterior predictive.
/// Set <see cref="MonteCarlo"/> to false for the deterministic prediction (identity in evaluation mode,
/// which is E[z / (1 - p)] = 1, i.e. weight averaging). Create it with <see cref="McLayers.MCDropout"/>.
/// </summary>
public sealed class MCDropout : nn.Module<Tensor, Tensor>, IMonteCarloLayer
{
    internal MCDropout(double p, string name) : base(name)
    {
        Check.Argument(double.IsFinite(p) && p >= 0 && p < 1, nameof(MCDropout), "p", p.ToString("R"),
            "in [0, 1) (the probability of dropping a unit)", "Use e.g. 0.1 to 0.5; p = 1 would drop everything.");
        P = p;
        RegisterComponents();
    }

    /// <summary>Dropout probability p (a unit is kept with probability 1 - p).</summary>
    public double P { get; }

    /// <inheritdoc/>
    public bool MonteCarlo { get; set; } = true;

    /// <summary>
    /// Explicit keep masks (0/1, requested shape given) instead of Bernoulli draws; null = draw. Used to
    /// drive two prediction paths with identical masks.
    /// </summary>
    internal Func<long[], Tensor>? MaskSource { get; set; }

    /// <summary>x ⊙ z / (1 - p) when sampling (training, or evaluation with <see cref="MonteCarlo"/> on), else x.</summary>
    public override Tensor forward(Tensor input)
    {
        if (P == 0 || !(training || MonteCarlo)) return input.alias();
        using var scope = NewDisposeScope();
        Tensor mask = DropoutMask.Get(MaskSource, input.shape, 1 - P, input, nameof(MCDropout));
        return input.mul(mask).div_(1 - P).MoveToOuterDisposeScope();
    }
}
