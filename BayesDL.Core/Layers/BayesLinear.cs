using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Fully connected layer y = x W^T + b with a mean-field Gaussian posterior over W [out, in] (and b):
/// w = mu + softplus(rho) * eps. The forward pass samples with the configured <see cref="GradientEstimator"/>;
/// with <see cref="IVariationalLayer.WeightDraws"/> = S the batch is S groups with independent draws, computed
/// with one batched matmul. Parameters: weight_mu, weight_rho, bias_mu, bias_rho (or bias when deterministic).
/// </summary>
public sealed class BayesLinear : VariationalLayer
{
#pragma warning disable IDE1006 // TorchSharp registers parameters under their field names
    readonly Parameter weight_mu, weight_rho;
    readonly Parameter? bias_mu, bias_rho, bias;
#pragma warning restore IDE1006

    internal BayesLinear(long inFeatures, long outFeatures, BayesLayerOptions options) : base(nameof(BayesLinear), options)
    {
        Check.Positive(inFeatures, nameof(BayesLinear), nameof(inFeatures));
        Check.Positive(outFeatures, nameof(BayesLinear), nameof(outFeatures));
        InFeatures = inFeatures; OutFeatures = outFeatures;
        // Means as nn.Linear initialises weights: U(-1/sqrt(in), 1/sqrt(in)).
        double bound = 1.0 / Math.Sqrt(inFeatures);
        weight_mu = new Parameter(empty(outFeatures, inFeatures).uniform_(-bound, bound));
        weight_rho = Constant(new[] { outFeatures, inFeatures }, options.InitialRho);
        if (options.Bias && options.BayesianBias)
        {
            bias_mu = new Parameter(empty(outFeatures).uniform_(-bound, bound));
            bias_rho = Constant(new[] { outFeatures }, options.InitialRho);
        }
        else if (options.Bias) bias = new Parameter(empty(outFeatures).uniform_(-bound, bound));
        RegisterComponents();
    }

    /// <summary>Input width.</summary>
    public long InFeatures { get; }

    /// <summary>Output width.</summary>
    public long OutFeatures { get; }

    /// <summary>Posterior means of the weights [out, in].</summary>
    public Parameter WeightMu => weight_mu;

    /// <summary>Unconstrained posterior scales of the weights [out, in]; sigma = softplus(rho).</summary>
    public Parameter WeightRho => weight_rho;

    /// <summary>Posterior means of a Bayesian bias, or the deterministic bias, or null without bias.</summary>
    public Parameter? BiasMu => bias_mu ?? bias;

    /// <summary>Unconstrained posterior scales of a Bayesian bias, else null.</summary>
    public Parameter? BiasRho => bias_rho;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        Check.Argument(input.dim() == 2 && input.shape[1] == InFeatures, nameof(BayesLinear), "input",
            "shape " + Check.Shape(input.shape), $"[batch, {InFeatures}]");
        using var scope = NewDisposeScope();
        long group = GroupSize(input);
        int s = WeightDraws;
        Tensor output;
        switch (Options.Estimator)
        {
            case GradientEstimator.LocalReparameterization:
                {
                    // Pre-activations are Gaussian given x: mean x mu^T + b_mu, variance x^2 sigma^2^T + sigma_b^2;
                    // each row draws its own noise, so rows are independent draws whatever WeightDraws is.
                    Tensor mean = nn.functional.linear(input, weight_mu, BiasMu);
                    Tensor squared = input.square();
                    Tensor variance = nn.functional.linear(squared, Sigma(weight_rho).square(),
                        bias_rho is null ? null : Sigma(bias_rho).square());
                    if (is_grad_enabled())
                    {
                        output = mean + (variance + 1e-16).sqrt() * randn_like(mean);
                        break;
                    }
                    // Without gradients (prediction) the same operations in place, the same numbers with three fewer
                    // temporaries of the output's size: x^2 is freed at once, the noise becomes the output.
                    squared.Dispose();
                    output = randn_like(mean).mul_(variance.add_(1e-16).sqrt_()).add_(mean);
                    break;
                }
            case GradientEstimator.Reparameterization:
                {
                    Tensor w = SampleWeights(weight_mu, weight_rho, s, keepDrawDimension: true);
                    output = input.view(s, group, InFeatures).bmm(w.transpose(1, 2));
                    output = (AddBias(output, s)).view(-1, OutFeatures);
                    break;
                }
            default:
                {
                    Tensor mean = nn.functional.linear(input, weight_mu, null);
                    Tensor dw = SamplePerturbation(weight_rho, s);
                    Tensor signIn = RandomSigns(input.shape, input.dtype, input.device);
                    Tensor signOut = RandomSigns(new[] { input.shape[0], OutFeatures }, input.dtype, input.device);
                    Tensor perturbation = (input * signIn).view(s, group, InFeatures).bmm(dw.transpose(1, 2))
                        .view(-1, OutFeatures) * signOut;
                    output = AddBias((mean + perturbation).view(s, group, OutFeatures), s).view(-1, OutFeatures);
                    break;
                }
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Adds the bias to grouped outputs [S, group, out]: one bias draw per group when Bayesian.</summary>
    Tensor AddBias(Tensor grouped, int draws)
    {
        if (bias_mu is not null && bias_rho is not null)
            return grouped + SampleWeights(bias_mu, bias_rho, draws, keepDrawDimension: true).unsqueeze(1);
        return bias is null ? grouped : grouped + bias;
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

/// <summary>Factories for Bayesian layers (the public way to make one, as <c>nn.Linear</c> is for linear layers).</summary>
public static partial class BayesNN
{
    /// <summary>A Bayesian fully connected layer in -&gt; out; <paramref name="options"/> default: local reparameterization, N(0, 1)
    /// prior, rho = -5.</summary>
    public static BayesLinear BayesLinear(long inFeatures, long outFeatures, BayesLayerOptions? options = null) =>
        new(inFeatures, outFeatures, options ?? new BayesLayerOptions());
}
