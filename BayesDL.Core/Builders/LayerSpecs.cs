using BayesDL.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>A deterministic dense layer y = W x + b.</summary>
internal sealed record LinearSpec(long In, long Out, bool Bias) : LayerSpec
{
    public override string Name => $"Linear({In} -> {Out})";
    public override IReadOnlyList<long> DeclaredInput => [In];
    public override long WeightCount => In * Out + (Bias ? Out : 0);
    internal override string? Invalid() => In < 1 || Out < 1 ? $"{Name}: widths must be >= 1; found in {In}, out {Out}." : null;
    internal override ShapeStep Infer(IReadOnlyList<long> input) =>
        input.Count == 1 && input[0] == In ? ShapeStep.Ok(Out) : ShapeStep.Expect($"[{In}]");
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => context.WeightLayer(nn.Linear(In, Out, hasBias: Bias));
}

/// <summary>A deterministic 2-D convolution over [channels, height, width].</summary>
internal sealed record Conv2dSpec(long InChannels, long OutChannels, long Kernel, long Stride, long Padding) : LayerSpec
{
    public override string Name => $"Conv2d({InChannels} -> {OutChannels}, kernel {Kernel}, stride {Stride}, padding {Padding})";
    public override long WeightCount => OutChannels * (InChannels * Kernel * Kernel + 1);
    internal override string? Invalid() =>
        InChannels < 1 || OutChannels < 1 || Kernel < 1 || Stride < 1 || Padding < 0
            ? $"{Name}: channels, kernel and stride must be >= 1 and padding >= 0." : null;
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ConvShape(input, InChannels, OutChannels, Kernel, Stride, Padding);

    /// <summary>[c, h, w] -> [out, (h + 2 pad - k) / stride + 1, (w + 2 pad - k) / stride + 1].</summary>
    internal static ShapeStep ConvShape(IReadOnlyList<long> input, long inChannels, long outChannels, long kernel, long stride, long padding)
    {
        if (input.Count != 3 || input[0] != inChannels) return ShapeStep.Expect($"[{inChannels}, height, width]");
        long h = (input[1] + 2 * padding - kernel) / stride + 1, w = (input[2] + 2 * padding - kernel) / stride + 1;
        return h < 1 || w < 1 ? ShapeStep.Expect($"[{inChannels}, height, width] with height and width >= {kernel - 2 * padding}") : ShapeStep.Ok(outChannels, h, w);
    }
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) =>
        context.WeightLayer(nn.Conv2d(InChannels, OutChannels, Kernel, stride: Stride, padding: Padding));
}

/// <summary>Flattens [c, h, w] (or any shape) into one feature vector per example.</summary>
internal sealed record FlattenSpec : LayerSpec
{
    public override string Name => "Flatten";
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(Shapes.Elements(input));
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => nn.Flatten();
}

/// <summary>An element-wise activation; the shape passes through.</summary>
internal sealed record ActivationSpec(Activation Kind) : LayerSpec
{
    public override string Name => Kind.ToString();
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(input.ToArray());
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => Kind switch
    {
        Activation.Relu => nn.ReLU(),
        Activation.Tanh => nn.Tanh(),
        Activation.Sigmoid => nn.Sigmoid(),
        Activation.Softplus => nn.Softplus(),
        Activation.Elu => nn.ELU(),
        Activation.Gelu => nn.GELU(),
        Activation.Softmax => nn.Softmax(-1),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown activation"),
    };
}

/// <summary>Standard dropout (off in evaluation mode); the shape passes through.</summary>
internal sealed record DropoutSpec(double Rate) : LayerSpec
{
    public override string Name => $"Dropout(p = {Rate})";
    internal override string? Invalid() => Rate is >= 0 and < 1 ? null : $"{Name}: the rate p must be in [0, 1); found {Rate}.";
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(input.ToArray());
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => nn.Dropout(Rate);
}

/// <summary>MC dropout: Bernoulli masks that stay on in evaluation mode; the shape passes through.</summary>
internal sealed record McDropoutSpec(double Rate) : LayerSpec
{
    public override string Name => $"MCDropout(p = {Rate})";
    internal override string? Invalid() => Rate is >= 0 and < 1 ? null : $"{Name}: the rate p must be in [0, 1); found {Rate}.";
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(input.ToArray());
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => Layers.BayesNN.MCDropout(Rate);
}

/// <summary>A Bayesian dense layer: weights w ~ q(w) = N(mu, softplus(rho)^2), prior p(w) (Blundell et al. 2015).</summary>
internal sealed record BayesLinearSpec(long In, long Out, Layers.PriorSpec? Prior, Layers.GradientEstimator Estimator, bool Bias) : LayerSpec
{
    public override string Name => $"BayesLinear({In} -> {Out})";
    public override IReadOnlyList<long> DeclaredInput => [In];
    public override long WeightCount => In * Out + (Bias ? Out : 0);
    public override bool IsBayesian => true;
    internal override Layers.PriorSpec? DeclaredPrior => Prior;
    internal override string? Invalid() => In < 1 || Out < 1 ? $"{Name}: widths must be >= 1; found in {In}, out {Out}." : null;
    internal override ShapeStep Infer(IReadOnlyList<long> input) =>
        input.Count == 1 && input[0] == In ? ShapeStep.Ok(Out) : ShapeStep.Expect($"[{In}]");
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => context.Family?.Kind switch
    {
        // A correlated Gaussian over all the layer's weights: low rank plus diagonal, or a full Cholesky factor.
        VariationalFamily.Family.LowRank or VariationalFamily.Family.FullRank => context.Policy.Apply(Layers.BayesNN.MultivariateBayesLinear(In, Out,
            new Layers.MultivariateBayesOptions(context.Family.Kind == VariationalFamily.Family.LowRank ? context.Family.Rank : 0, Prior ?? context.DefaultPrior))),
        _ => context.Policy.Apply(Layers.BayesNN.BayesLinear(In, Out, new Layers.BayesLayerOptions(Estimator, Prior ?? context.DefaultPrior, Bias: Bias))),
    };
}

/// <summary>A Bayesian 2-D convolution (square kernel) with a mean-field posterior over its kernels.</summary>
internal sealed record BayesConv2dSpec(long InChannels, long OutChannels, long Kernel, long Stride, long Padding,
                                       Layers.PriorSpec? Prior, Layers.GradientEstimator Estimator) : LayerSpec
{
    public override string Name => $"BayesConv2d({InChannels} -> {OutChannels}, kernel {Kernel}, stride {Stride}, padding {Padding})";
    public override long WeightCount => OutChannels * (InChannels * Kernel * Kernel + 1);
    public override bool IsBayesian => true;
    internal override Layers.PriorSpec? DeclaredPrior => Prior;
    internal override string? Invalid() =>
        InChannels < 1 || OutChannels < 1 || Kernel < 1 || Stride < 1 || Padding < 0
            ? $"{Name}: channels, kernel and stride must be >= 1 and padding >= 0." : null;
    internal override ShapeStep Infer(IReadOnlyList<long> input) => Conv2dSpec.ConvShape(input, InChannels, OutChannels, Kernel, Stride, Padding);
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => context.Policy.Apply(Layers.BayesNN.BayesConv2d(
        InChannels, OutChannels, Kernel, Stride, Padding, options: new Layers.BayesLayerOptions(Estimator, Prior ?? context.DefaultPrior)));
}
