using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind Conv2d: a 2-D convolution over [channels, height, width] with kernel W [out, in, k, k] and bias b [out].
/// A model file records square kernels of one group: [in, out, k, stride, padding, dilation, bias 0/1]. The functional
/// form convolves all draws at once as one grouped convolution (draw s is group s).
/// </summary>
internal sealed class Conv2dKind : LayerKind
{
    public override string Type => nameof(Conv2d);
    public override System.Type Module => typeof(Conv2d);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var c = (Conv2d)module;
        return c.padding is not null && c.kernel_size.Distinct().Count() == 1 && c.groups == 1
            ? new(Type, [c.in_channels, c.out_channels, c.kernel_size[0], c.stride![0], c.padding![0], c.dilation![0],
                c.bias is null ? 0L : 1L], null)
            : null;
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading)
    {
        long[] s = reading.Sizes(7);
        return nn.Conv2d(s[0], s[1], s[2], stride: s[3], padding: s[4], dilation: s[5], bias: s[6] == 1);
    }

    internal override long Weights(LayerRecord record) => Product(record.Sizes, 0, 1, 2, 2);

    internal override FunctionalLayer? Functional(nn.Module module)
    {
        var c = (Conv2d)module;
        if (c.padding is null || c.groups != 1) return null;
        return Convolution(c.weight!, c.bias, null, c.stride!, c.padding!, c.dilation!);
    }

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() =>
        (nn.Conv2d(2, 3, 3, stride: 2, padding: 1), [2, 5, 5]);

    /// <summary>
    /// The functional form of a convolution with kernel W [out, in, kh, kw] and bias b [out] (or none), under <paramref name="prior"/>.
    /// </summary>
    internal static FunctionalLayer Convolution(Tensor weight, Tensor? bias, Layers.PriorSpec? prior, long[] stride, long[] padding,
        long[] dilation) =>
        new(bias is null
                ? [new("weight", weight.shape, weight, prior)]
                : [new("weight", weight.shape, weight, prior), new("bias", bias.shape, bias, prior)],
            (h, p) => Forward(h, p[0], p.Count > 1 ? p[1] : null, stride, padding, dilation));

    /// <summary>
    /// h [S, B, C, H, W], W [S, O, C, kh, kw], b [S, O] -&gt; [S, B, O, H', W']: the draws' channels side by side
    /// [B, S C, H, W], convolved with groups = S by the draws' kernels stacked [S O, C, kh, kw].
    /// </summary>
    static Tensor Forward(Tensor h, Tensor w, Tensor? b, long[] stride, long[] padding, long[] dilation)
    {
        long s = h.shape[0], batch = h.shape[1], o = w.shape[1];
        Tensor x = h.transpose(0, 1).reshape(batch, s * h.shape[2], h.shape[3], h.shape[4]);
        Tensor y = nn.functional.conv2d(x, w.reshape(s * o, w.shape[2], w.shape[3], w.shape[4]), b?.reshape(s * o),
            strides: stride, padding: padding, dilation: dilation, groups: s);
        return y.view(batch, s, o, y.shape[2], y.shape[3]).transpose(0, 1);
    }
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
    internal static ShapeStep ConvShape(IReadOnlyList<long> input, long inChannels, long outChannels,
        long kernel, long stride, long padding)
    {
        if (input.Count != 3 || input[0] != inChannels) return ShapeStep.Expect($"[{inChannels}, height, width]");
        long h = (input[1] + 2 * padding - kernel) / stride + 1, w = (input[2] + 2 * padding - kernel) / stride + 1;
        return h < 1 || w < 1 ? ShapeStep.Expect($"[{inChannels}, height, width] with height and width >= {kernel - 2 * padding}")
            : ShapeStep.Ok(outChannels, h, w);
    }
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) =>
        context.WeightLayer(nn.Conv2d(InChannels, OutChannels, Kernel, stride: Stride, padding: Padding));
}
