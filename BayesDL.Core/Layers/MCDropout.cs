using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Element-wise Monte Carlo dropout (Gal &amp; Ghahramani, ICML 2016): y = x ⊙ z / (1 - p) with
/// z_i ~ Bernoulli(1 - p) independently per element, in training AND in evaluation mode, so that
/// p(y = c | x) ≈ (1/T) Σ_t softmax(f_θ_t(x)) over T passes approximates the posterior predictive.
/// Set <see cref="MonteCarloDropoutLayer.MonteCarlo"/> to false for the deterministic prediction (identity in evaluation
/// mode, which is E[z / (1 - p)] = 1, i.e. weight averaging). Create it with <see cref="BayesNN.MCDropout"/>.
/// </summary>
public sealed class MCDropout : MonteCarloDropoutLayer
{
    internal MCDropout(double p, string name)
        : base(p, name, "unit", "Use e.g. 0.1 to 0.5; p = 1 would drop everything.")
    {
    }

    /// <summary>One mask entry per element.</summary>
    private protected override long[] MaskShape(Tensor input) => input.shape;
}

public static partial class BayesNN
{
    /// <summary>Element-wise MC dropout with drop probability <paramref name="p"/> (stays on in evaluation mode).</summary>
    public static MCDropout MCDropout(double p = 0.5, string name = "MCDropout") => new(p, name);
}
