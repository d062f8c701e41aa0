using BayesDL.Engine;
using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind BayesConv2d: a 2-D convolution (square kernel) with a mean-field Gaussian posterior over its kernel
/// [out, in, k, k] and bias [out]. A model file records [in, out, k, stride, padding, dilation] and its
/// <see cref="BayesLayerOptions"/>; the functional form is a convolution's over the weights themselves, under the layer's prior.
/// </summary>
internal sealed class BayesConv2dKind : LayerKind
{
    public override string Type => nameof(BayesConv2d);
    public override System.Type Module => typeof(BayesConv2d);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var c = (BayesConv2d)module;
        return new(Type, [c.InChannels, c.OutChannels, c.KernelSize, c.Stride, c.Padding, c.Dilation], c.Options);
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading)
    {
        long[] s = reading.Sizes(6);
        return BayesNN.BayesConv2d(s[0], s[1], s[2], s[3], s[4], s[5], reading.Record.Options);
    }

    internal override long Weights(LayerRecord record) => Product(record.Sizes, 0, 1, 2, 2);

    internal override FunctionalLayer? Functional(nn.Module module)
    {
        var c = (BayesConv2d)module;
        return Conv2dKind.Convolution(c.WeightMu, c.BiasMu, c.Options.EffectivePrior, [c.Stride, c.Stride], [c.Padding, c.Padding],
            [c.Dilation, c.Dilation]);
    }

    // rho = -60: sigma ~ 1e-26, so a forward pass is the means' up to rounding.
    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() =>
        (BayesNN.BayesConv2d(2, 3, 3, stride: 1, padding: 1, options: new BayesLayerOptions(GradientEstimator.Reparameterization,
            InitialRho: -60)), [2, 4, 4]);
}

/// <summary>A Bayesian 2-D convolution (square kernel) with a mean-field posterior over its kernels.</summary>
internal sealed record BayesConv2dSpec(long InChannels, long OutChannels, long Kernel, long Stride, long Padding,
                                       PriorSpec? Prior, GradientEstimator Estimator) : LayerSpec
{
    public override string Name => $"BayesConv2d({InChannels} -> {OutChannels}, kernel {Kernel}, stride {Stride}, padding {Padding})";
    public override long WeightCount => OutChannels * (InChannels * Kernel * Kernel + 1);
    public override bool IsBayesian => true;
    internal override PriorSpec? DeclaredPrior => Prior;
    internal override string? Invalid() =>
        InChannels < 1 || OutChannels < 1 || Kernel < 1 || Stride < 1 || Padding < 0
            ? $"{Name}: channels, kernel and stride must be >= 1 and padding >= 0." : null;
    internal override ShapeStep Infer(IReadOnlyList<long> input) => Conv2dSpec.ConvShape(input, InChannels,
        OutChannels, Kernel, Stride, Padding);
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => context.Policy.Apply(BayesNN.BayesConv2d(
        InChannels, OutChannels, Kernel, Stride, Padding, options: new BayesLayerOptions(Estimator, Prior ?? context.DefaultPrior)));
}
