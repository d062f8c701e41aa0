using BayesDL.Distributions;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Concrete dropout (Gal, Hron &amp; Kendall, NeurIPS 2017): dropout on the input of a weight layer whose
/// probability p = sigmoid(ρ) is learned. In training the Bernoulli drop indicator is replaced by its
/// Concrete (relaxed Bernoulli) relaxation, z̃ = sigmoid((log p − log(1 − p) + log u − log(1 − u)) / t),
/// u ~ U(0, 1), so the loss is differentiable in p; the input becomes x ⊙ (1 − z̃) / (1 − p). In evaluation
/// mode it samples exact Bernoulli(1 − p) keep masks (Monte Carlo prediction) unless
/// <see cref="MonteCarlo"/> is false. Add <see cref="Regularizer"/> (summed over layers, see
/// <see cref="ConcreteDropoutRegularizer"/>) to the per-example loss:
/// R = λ_w ‖W‖² / (1 − p) + λ_w ‖b‖² − λ_d K H(p), H(p) = −p log p − (1 − p) log(1 − p), K = input
/// features (channels for convolutions). The weight term pulls p down, the entropy term pulls it
/// towards 1/2, the data term decides: less data, larger p. Create it with <see cref="BayesNN.ConcreteDropout"/>.
/// </summary>
public sealed class ConcreteDropout : nn.Module<Tensor, Tensor>, IMonteCarloLayer
{
    readonly nn.Module<Tensor, Tensor> layer;
    readonly Parameter p_logit;
    readonly ConcreteDropoutOptions _options;

    internal ConcreteDropout(nn.Module<Tensor, Tensor> layer, ConcreteDropoutOptions options, string name) : base(name)
    {
        options.Validate();
        (InputFeatures, Spatial) = layer switch
        {
            Linear l => (l.in_features, false),
            Conv1d c => (c.in_channels, true),
            Conv2d c => (c.in_channels, true),
            Conv3d c => (c.in_channels, true),
            _ => throw Check.Error(nameof(ConcreteDropout), nameof(layer), layer.GetType().Name,
                "a Linear or Conv1d/2d/3d layer (the layer whose inputs are dropped)"),
        };
        this.layer = layer;
        _options = options;
        var weight = layer.parameters().First();
        double logit = Math.Log(options.InitialP) - Math.Log(1 - options.InitialP);
        p_logit = new Parameter(torch.tensor(logit, dtype: weight.dtype, device: weight.device));
        RegisterComponents();
    }

    /// <summary>The wrapped weight layer.</summary>
    public nn.Module<Tensor, Tensor> Layer => layer;

    /// <summary>K: input features (Linear) or input channels (convolutions), the dimension that is dropped.</summary>
    public long InputFeatures { get; }

    /// <summary>True for convolutions: whole channels are dropped.</summary>
    public bool Spatial { get; }

    /// <summary>The settings this layer was built with.</summary>
    public ConcreteDropoutOptions Options => _options;

    /// <inheritdoc/>
    public bool MonteCarlo { get; set; } = true;

    /// <summary>Explicit keep masks for evaluation-mode sampling instead of Bernoulli draws; null = draw.</summary>
    internal Func<long[], Tensor>? MaskSource { get; set; }

    /// <summary>The learned dropout probability p = sigmoid(ρ) as a scalar tensor (differentiable).</summary>
    public Tensor P => p_logit.sigmoid();

    /// <summary>The learned dropout probability as a number.</summary>
    public double DropoutProbability
    {
        get { using var p = p_logit.detach().sigmoid(); return p.to(ScalarType.Float64).item<double>(); }
    }

    /// <summary>R = λ_w ‖W‖² / (1 − p) + λ_w ‖b‖² + λ_d K (p log p + (1 − p) log(1 − p)), a scalar tensor.</summary>
    public Tensor Regularizer()
    {
        using var scope = NewDisposeScope();
        Tensor p = P;
        Tensor weightSq = zeros_like(p), biasSq = zeros_like(p);
        foreach (var (name, param) in layer.named_parameters())
        {
            if (name == "bias") biasSq = biasSq + param.square().sum();
            else weightSq = weightSq + param.square().sum();
        }
        Tensor negEntropy = p * p.log() + (1 - p) * (1 - p).log();
        Tensor r = _options.WeightRegularizer * weightSq / (1 - p) + _options.WeightRegularizer * biasSq
                   + _options.DropoutRegularizer * InputFeatures * negEntropy;
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>Drops inputs (relaxed in training, exact Bernoulli when sampling in evaluation) and applies the layer.</summary>
    public override Tensor forward(Tensor input)
    {
        Check.Argument(input.dim() >= 2 && input.shape[1] == InputFeatures, nameof(ConcreteDropout), nameof(input),
            "shape " + Check.Shape(input.shape), $"[N, {InputFeatures}{(Spatial ? ", ..." : "")}]");
        using var scope = NewDisposeScope();
        long[] maskShape = MaskShape(input);
        Tensor dropped;
        if (training)
        {
            Tensor p = P;
            // The relaxed *drop* indicator z̃ ~ RelaxedBernoulli(t, p); keep = 1 − z̃.
            var relaxed = Dist.RelaxedBernoulliLogits(torch.tensor(_options.Temperature, dtype: input.dtype,
                device: input.device), p_logit, validate: false);
            Tensor keep = 1 - relaxed.RSample(maskShape);
            dropped = input * keep / (1 - p);
        }
        else if (MonteCarlo)
        {
            double keepProbability = 1 - DropoutProbability;
            Tensor keep = DropoutMask.Get(MaskSource, maskShape, keepProbability, input, nameof(ConcreteDropout));
            dropped = input * keep / keepProbability;
        }
        else dropped = input;
        return layer.forward(dropped).MoveToOuterDisposeScope();
    }

    long[] MaskShape(Tensor input)
    {
        var shape = (long[])input.shape.Clone();
        if (Spatial) for (int d = 2; d < shape.Length; d++) shape[d] = 1;
        return shape;
    }
}

public static partial class BayesNN
{
    /// <summary>Concrete dropout on the inputs of <paramref name="layer"/> (Linear or Conv) with a learned probability.</summary>
    public static ConcreteDropout ConcreteDropout(nn.Module<Tensor, Tensor> layer, ConcreteDropoutOptions? options = null,
        string name = "ConcreteDropout") =>
        new(layer, options ?? new ConcreteDropoutOptions(), name);
}
