using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// A <see cref="ConcreteDropout"/> layer presented as a variational layer, so the ELBO objective learns its dropout rate:
/// <see cref="KL"/> is the paper's KL(q || p) of one layer (Gal, Hron &amp; Kendall 2017, eq. 3) for the prior
/// W ~ N(0, l^-2 I) with prior length-scale l:
/// KL = l^2 / 2 · ||W||^2 / (1 - p) + l^2 / 2 · ||b||^2 - K H(p), H(p) = -p log p - (1 - p) log(1 - p), K = input features.
/// The ELBO divides the KL by the training-set size N, which is exactly <see cref="ConcreteDropoutOptions.ForDataset"/>'s
/// per-example regularizer, so the size need not be known when the model is built. Prediction samples Bernoulli masks.
/// </summary>
public sealed class VariationalConcreteDropout : nn.Module<Tensor, Tensor>, IVariationalLayer, IMonteCarloLayer
{
    readonly ConcreteDropout dropout;
    int _weightDraws = 1;

    internal VariationalConcreteDropout(nn.Module<Tensor, Tensor> layer, double lengthScale, double initialP)
        : base(nameof(VariationalConcreteDropout))
    {
        Check.Positive(lengthScale, nameof(VariationalConcreteDropout), nameof(lengthScale));
        LengthScale = lengthScale;
        // N = 1 turns the per-example regularizer's coefficients l^2/(2N) and 1/N into the KL's l^2/2 and 1.
        dropout = BayesNN.ConcreteDropout(layer, ConcreteDropoutOptions.ForDataset(1, lengthScale, initialP: initialP));
        RegisterComponents();
    }

    /// <summary>The prior length-scale l (prior W ~ N(0, l^-2 I)).</summary>
    public double LengthScale { get; }

    /// <summary>The concrete dropout layer (its wrapped weight layer and learned rate).</summary>
    public ConcreteDropout Dropout => dropout;

    /// <summary>The learned dropout probability p.</summary>
    public double DropoutProbability => dropout.DropoutProbability;

    /// <inheritdoc/>
    public bool MonteCarlo { get => dropout.MonteCarlo; set => dropout.MonteCarlo = value; }

    /// <inheritdoc/>
    /// <remarks>Masks are drawn per row, so every row is already an independent draw; the value only has to be valid.</remarks>
    public int WeightDraws
    {
        get => _weightDraws;
        set { Check.Positive(value, nameof(VariationalConcreteDropout), nameof(WeightDraws)); _weightDraws = value; }
    }

    /// <inheritdoc/>
    public Tensor KL() => dropout.Regularizer();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => dropout.forward(input);
}

public static partial class BayesNN
{
    /// <summary>Concrete dropout on the inputs of <paramref name="layer"/> whose KL the ELBO objective collects
    /// (prior length-scale l).</summary>
    public static VariationalConcreteDropout VariationalConcreteDropout(nn.Module<Tensor, Tensor> layer,
        double lengthScale = 1.0, double initialP = 0.1) =>
        new(layer, lengthScale, initialP);
}
