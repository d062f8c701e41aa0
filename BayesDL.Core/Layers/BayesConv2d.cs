using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// 2-D convolution with a mean-field Gaussian posterior over the kernel [out, in, kh, kw] (and bias), in the
/// style of <see cref="BayesLinear"/>. Local reparameterization samples each output activation from
/// N(conv(x, mu), conv(x^2, sigma^2)); Flipout uses signs per example and channel, shared across positions
/// (Wen et al. 2018, Sec. 3.2). With WeightDraws = S &gt; 1, reparameterization and Flipout run one convolution per draw.
/// </summary>
public sealed class BayesConv2d : VariationalLayer
{
#pragma warning disable IDE1006 // TorchSharp registers parameters under their field names
    readonly Parameter weight_mu, weight_rho;
    readonly Parameter? bias_mu, bias_rho, bias;
#pragma warning restore IDE1006

    internal BayesConv2d(long inChannels, long outChannels, long kernelSize, long stride, long padding,
        long dilation, BayesLayerOptions options)
        : base(nameof(BayesConv2d), options)
    {
        Check.Positive(inChannels, nameof(BayesConv2d), nameof(inChannels));
        Check.Positive(outChannels, nameof(BayesConv2d), nameof(outChannels));
        Check.Positive(kernelSize, nameof(BayesConv2d), nameof(kernelSize));
        Check.Positive(stride, nameof(BayesConv2d), nameof(stride));
        Check.Positive(dilation, nameof(BayesConv2d), nameof(dilation));
        Check.Argument(padding >= 0, nameof(BayesConv2d), nameof(padding), padding.ToString(), ">= 0");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize; Stride = stride;
        Padding = padding; Dilation = dilation;
        long[] shape = { outChannels, inChannels, kernelSize, kernelSize };
        double bound = 1.0 / Math.Sqrt(inChannels * kernelSize * kernelSize); // as nn.Conv2d
        weight_mu = new Parameter(empty(shape).uniform_(-bound, bound));
        weight_rho = Constant(shape, options.InitialRho);
        if (options.Bias && options.BayesianBias)
        {
            bias_mu = new Parameter(empty(outChannels).uniform_(-bound, bound));
            bias_rho = Constant(new[] { outChannels }, options.InitialRho);
        }
        else if (options.Bias) bias = new Parameter(empty(outChannels).uniform_(-bound, bound));
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Square kernel side.</summary>
    public long KernelSize { get; }

    /// <summary>Stride in both directions.</summary>
    public long Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public long Padding { get; }

    /// <summary>Kernel dilation.</summary>
    public long Dilation { get; }

    /// <summary>Posterior means of the kernel.</summary>
    public Parameter WeightMu => weight_mu;

    /// <summary>Unconstrained posterior scales of the kernel.</summary>
    public Parameter WeightRho => weight_rho;

    /// <summary>Posterior means of a Bayesian bias, or the deterministic bias, or null.</summary>
    public Parameter? BiasMu => bias_mu ?? bias;

    /// <summary>Unconstrained posterior scales of a Bayesian bias, else null.</summary>
    public Parameter? BiasRho => bias_rho;

    Tensor Conv(Tensor x, Tensor w, Tensor? b) =>
        nn.functional.conv2d(x, w, b, new[] { Stride, Stride }, new[] { Padding, Padding }, new[] { Dilation, Dilation }, 1);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        Check.Argument(input.dim() == 4 && input.shape[1] == InChannels, nameof(BayesConv2d), "input",
            "shape " + Check.Shape(input.shape), $"[batch, {InChannels}, height, width]");
        using var scope = NewDisposeScope();
        long group = GroupSize(input);
        Tensor output;
        if (Options.Estimator == GradientEstimator.LocalReparameterization)
        {
            Tensor mean = Conv(input, weight_mu, BiasMu);
            Tensor variance = Conv(input.square(), Scales(weight_rho).Variance, bias_rho is null ? null : Scales(bias_rho).Variance);
            output = mean + (variance + 1e-16).sqrt() * randn_like(mean);
        }
        else
        {
            var parts = new List<Tensor>(WeightDraws);
            for (int g = 0; g < WeightDraws; g++)
            {
                Tensor x = input.narrow(0, g * group, group);
                Tensor? b = bias_mu is not null && bias_rho is not null ? SampleWeights(bias_mu, bias_rho, 1, false) : bias;
                if (Options.Estimator == GradientEstimator.Reparameterization)
                    parts.Add(Conv(x, SampleWeights(weight_mu, weight_rho, 1, false), b));
                else
                {
                    Tensor dw = SamplePerturbation(weight_rho, 1).squeeze(0);
                    Tensor signIn = RandomSigns(new[] { group, InChannels, 1, 1 }, x.dtype, x.device);
                    Tensor signOut = RandomSigns(new[] { group, OutChannels, 1, 1 }, x.dtype, x.device);
                    parts.Add(Conv(x, weight_mu, b) + Conv(x * signIn, dw, null) * signOut);
                }
            }
            output = parts.Count == 1 ? parts[0] : cat(parts, 0);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor KL()
    {
        using var scope = NewDisposeScope();
        Tensor kl = MeanFieldKL(weight_mu, weight_rho);
        if (bias_mu is not null && bias_rho is not null) kl = kl + MeanFieldKL(bias_mu, bias_rho);
        return kl.MoveToOuterDisposeScope();
    }
}

public static partial class BayesNN
{
    /// <summary>A Bayesian 2-D convolution with a square kernel; <paramref name="options"/> as for <see cref="BayesLinear"/>.</summary>
    public static BayesConv2d BayesConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        long dilation = 1, BayesLayerOptions? options = null) =>
        new(inChannels, outChannels, kernelSize, stride, padding, dilation, options ?? new BayesLayerOptions());
}
