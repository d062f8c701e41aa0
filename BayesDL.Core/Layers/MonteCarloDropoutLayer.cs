using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Dropout with a fixed rate p that stays stochastic in evaluation mode (Gal &amp; Ghahramani, ICML 2016):
/// y = x ⊙ z / (1 - p), z ~ Bernoulli(1 - p) drawn over the mask shape the subclass chooses (per element, or per
/// example and channel) and broadcast over the rest. With <see cref="MonteCarlo"/> false, evaluation is the identity,
/// E[z / (1 - p)] = 1 (weight averaging). The element-wise and channel-wise layers differ only in that shape.
/// </summary>
public abstract class MonteCarloDropoutLayer : nn.Module<Tensor, Tensor>, IMonteCarloLayer
{
    /// <summary>Checks p in [0, 1); <paramref name="unit"/> names what one draw drops ("unit", "channel").</summary>
    private protected MonteCarloDropoutLayer(double p, string name, string unit, string advice) : base(name)
    {
        Check.Argument(double.IsFinite(p) && p >= 0 && p < 1, GetType().Name, "p", p.ToString("R"),
            $"in [0, 1) (the probability of dropping a {unit})", advice);
        P = p;
        RegisterComponents();
    }

    /// <summary>Dropout probability p (what one mask entry covers is kept with probability 1 - p).</summary>
    public double P { get; }

    /// <inheritdoc/>
    public bool MonteCarlo { get; set; } = true;

    /// <summary>
    /// Explicit keep masks (0/1, of the layer's mask shape for the input) instead of Bernoulli draws; null = draw.
    /// Used to drive two prediction paths with identical masks.
    /// </summary>
    internal Func<long[], Tensor>? MaskSource { get; set; }

    /// <summary>x ⊙ z / (1 - p) when sampling (training, or evaluation with <see cref="MonteCarlo"/> on), else x.</summary>
    public override Tensor forward(Tensor input)
    {
        long[] maskShape = MaskShape(input);
        if (P == 0 || !(training || MonteCarlo)) return input.alias();
        using var scope = NewDisposeScope();
        Tensor mask = DropoutMask.Get(MaskSource, maskShape, 1 - P, input, GetType().Name);
        return input.mul(mask).div_(1 - P).MoveToOuterDisposeScope();
    }

    /// <summary>The shape of one mask for <paramref name="input"/> (checking the input's rank where it matters).</summary>
    private protected abstract long[] MaskShape(Tensor input);
}
