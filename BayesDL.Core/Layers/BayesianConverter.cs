using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Turns a deterministic <see cref="Sequential"/> Bayesian: every Linear becomes a <see cref="BayesLinear"/> and every
/// Conv2d a <see cref="BayesConv2d"/>; other modules (activations, flatten, pooling) are kept. With MOPED
/// (Krishnan, Subedar &amp; Tickoo 2020) the posterior starts at the trained weights: mu = w and
/// sigma = delta * |w| (rho = softplus^-1(sigma), with sigma floored at 1e-8 so zero weights stay finite).
/// </summary>
public static class BayesianConverter
{
    /// <summary>
    /// The Bayesian counterpart of <paramref name="network"/>. <paramref name="mopedDelta"/>: null for a fresh
    /// initialisation from <paramref name="options"/>, or delta &gt; 0 (0.1 in the MOPED paper) to start from the trained weights.
    /// </summary>
    public static Sequential Convert(Sequential network, BayesLayerOptions? options = null, double? mopedDelta = null)
    {
        options ??= new BayesLayerOptions();
        if (mopedDelta is double d) Check.Positive(d, nameof(BayesianConverter), nameof(mopedDelta));
        var converted = new List<(string, nn.Module<Tensor, Tensor>)>();
        foreach (var (name, module) in network.named_children())
        {
            nn.Module<Tensor, Tensor> replacement = module switch
            {
                Linear linear => FromLinear(linear, options, mopedDelta),
                Conv2d conv => FromConv(conv, options, mopedDelta),
                nn.Module<Tensor, Tensor> other => other,
                _ => throw Check.Error(nameof(BayesianConverter), nameof(network), $"child '{name}' of type {module.GetType().Name}",
                    "tensor-to-tensor modules"),
            };
            converted.Add((name, replacement));
        }
        return nn.Sequential(converted.ToArray());
    }

    static BayesLinear FromLinear(Linear linear, BayesLayerOptions options, double? delta)
    {
        var layer = BayesNN.BayesLinear(linear.in_features, linear.out_features, options with { Bias = linear.bias is not null });
        if (delta is double d) Moped(layer.WeightMu, layer.WeightRho, layer.BiasMu, layer.BiasRho, linear.weight!, linear.bias, d);
        return layer;
    }

    static BayesConv2d FromConv(Conv2d conv, BayesLayerOptions options, double? delta)
    {
        bool square = conv.padding is not null && conv.kernel_size.Distinct().Count() == 1 && conv.stride.Distinct().Count() == 1
            && conv.padding.Distinct().Count() == 1 && conv.dilation.Distinct().Count() == 1;
        Check.Argument(square && conv.groups == 1 && conv.padding_mode == PaddingModes.Zeros, nameof(BayesianConverter), "network",
            $"a Conv2d with kernel ({string.Join(", ", conv.kernel_size)}), stride ({string.Join(", ", conv.stride!)}), groups " +
            $"{conv.groups}, padding mode {conv.padding_mode}",
            "Conv2d layers with square kernel, stride, padding and dilation, groups = 1 and zero padding");
        var layer = BayesNN.BayesConv2d(conv.in_channels, conv.out_channels, conv.kernel_size[0], conv.stride![0], conv.padding![0],
            conv.dilation![0], options with { Bias = conv.bias is not null });
        if (delta is double d) Moped(layer.WeightMu, layer.WeightRho, layer.BiasMu, layer.BiasRho, conv.weight!, conv.bias, d);
        return layer;
    }

    static void Moped(Parameter mu, Parameter rho, Parameter? biasMu, Parameter? biasRho, Tensor weight, Tensor? bias, double delta)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        mu.copy_(weight);
        rho.copy_(VariationalLayer.InverseSigma((weight.abs() * delta).clamp_min(1e-8)));
        if (bias is not null && biasMu is not null)
        {
            biasMu.copy_(bias);
            biasRho?.copy_(VariationalLayer.InverseSigma((bias.abs() * delta).clamp_min(1e-8)));
        }
    }
}
