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
                    if (!is_grad_enabled())
                    {
                        // Without gradients (prediction) the same numbers in place and in row blocks.
                        output = LocalReparameterizationNoGrad(input, 1);
                        break;
                    }
                    Tensor mean = nn.functional.linear(input, weight_mu, BiasMu);
                    Tensor variance = nn.functional.linear(input.square(), Scales(weight_rho).Variance,
                        bias_rho is null ? null : Scales(bias_rho).Variance);
                    output = mean + (variance + 1e-16).sqrt() * randn_like(mean);
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

    /// <summary>
    /// Most rows of input per block of the local reparameterization pass without gradients (default 1,024; at least 1): a
    /// batch of r rows runs as ceil(r / block) blocks of equal size (to a row), which bounds the temporaries x^2, the means
    /// and the standard deviations to [block, in] and [block, out] whatever the batch. The noise is drawn for the whole
    /// output at once, so the draws do not depend on the block. Nor do the numbers when every block has at least
    /// <see cref="SharedMomentsMinRows"/> rows: libtorch's matrix product (MKL) gave each row's result independently of the
    /// row count for 28 rows and more, and differed in the last bit for fewer (measured with 1 and 2 threads, layers of
    /// 16 to 784 inputs).
    /// </summary>
    internal long NoGradBlockRows
    {
        get => _noGradBlockRows;
        set { Check.Positive(value, nameof(BayesLinear), nameof(NoGradBlockRows)); _noGradBlockRows = value; }
    }

    long _noGradBlockRows = 1024;

    /// <summary>
    /// Fewest inputs for which a prediction shares the first layer's means and variances across draws
    /// (<see cref="PredictRows"/> with copies above 1): below it the inputs are repeated first, so that matrix products of a
    /// few rows, which may round differently (see <see cref="NoGradBlockRows"/>), are not compared with those of many.
    /// </summary>
    internal const long SharedMomentsMinRows = 64;

    /// <summary>True when <see cref="PredictRows"/> applies (the local reparameterization).</summary>
    internal bool TakesRepeatedInput => Options.Estimator == GradientEstimator.LocalReparameterization;

    /// <summary>
    /// Without gradients, the output of <see cref="forward"/> on <paramref name="input"/> [n, in] repeated
    /// <paramref name="copies"/> times along the batch (shape [copies n, out], copy c in rows c n to (c + 1) n - 1), written
    /// into <paramref name="into"/> when given (a contiguous [copies n, out] tensor, e.g. a buffer kept from the previous
    /// chunk of a prediction) and returned. The repeated rows are never made: under the local reparameterization the
    /// pre-activations' mean x mu^T + b_mu and variance x^2 (sigma^2)^T + sigma_b^2 are the same in every copy, so they are
    /// computed for the n rows once; only the noise, drawn for all copies at once as forward draws it, differs. The same
    /// numbers as forward on the repeated rows. Requires <see cref="TakesRepeatedInput"/>.
    /// </summary>
    internal Tensor PredictRows(Tensor input, int copies, Tensor? into = null)
    {
        Check.Argument(TakesRepeatedInput && !is_grad_enabled(), nameof(BayesLinear), nameof(PredictRows),
            $"estimator {Options.Estimator} with gradients {(is_grad_enabled() ? "on" : "off")}",
            "the local reparameterization without gradients");
        Check.Argument(input.dim() == 2 && input.shape[1] == InFeatures, nameof(BayesLinear), "input",
            "shape " + Check.Shape(input.shape), $"[batch, {InFeatures}]");
        Check.Positive(copies, nameof(BayesLinear), nameof(copies));
        if (into is not null)
            Check.Argument(into.is_contiguous() && into.dim() == 2 && into.shape[0] == copies * input.shape[0]
                && into.shape[1] == OutFeatures && into.dtype == input.dtype, nameof(BayesLinear), nameof(into),
                $"a {(into.is_contiguous() ? "" : "non-")}contiguous tensor of shape {Check.Shape(into.shape)} and dtype {into.dtype}",
                $"a contiguous [{copies * input.shape[0]}, {OutFeatures}] tensor of dtype {input.dtype}");
        return LocalReparameterizationNoGrad(input, copies, into);
    }

    /// <summary>
    /// The local reparameterization without gradients on <paramref name="input"/> [n, in] repeated <paramref name="copies"/>
    /// times: eps ~ N(0, I) of shape [copies n, out] in one draw (as forward's randn_like of its mean, so the same stream),
    /// into <paramref name="into"/> when given, then per block of <see cref="NoGradBlockRows"/> input rows x:
    /// out = eps * sqrt(x^2 (sigma^2)^T + sigma_b^2 + 1e-16) + x mu^T + b_mu in place, for every copy of the block. The same
    /// elementwise operations as the pass with gradients, so the same numbers.
    /// </summary>
    Tensor LocalReparameterizationNoGrad(Tensor input, int copies, Tensor? into = null)
    {
        long n = input.shape[0];
        Tensor output = into ?? empty(new[] { copies * n, OutFeatures }, dtype: input.dtype, device: input.device);
        output.normal_();
        using var scope = NewDisposeScope();
        Tensor grouped = output.view(copies, n, OutFeatures);
        Tensor variances = Sigma(weight_rho).square();
        Tensor? biasVariances = bias_rho is null ? null : Sigma(bias_rho).square();
        // An explicit Scalar, disposed here: one made implicitly from a double per block would wait for the finalizer.
        using Scalar epsilon = 1e-16.ToScalar();
        long blocks = (n + _noGradBlockRows - 1) / _noGradBlockRows;
        for (long b = 0, start = 0; b < blocks; b++)
        {
            using var block = NewDisposeScope();
            long end = n * (b + 1) / blocks, rows = end - start;
            Tensor x = input.narrow(0, start, rows);
            Tensor mean = nn.functional.linear(x, weight_mu, BiasMu);
            Tensor sd = nn.functional.linear(x.square(), variances, biasVariances).add_(epsilon).sqrt_();
            grouped.narrow(1, start, rows).mul_(sd).add_(mean);
            start = end;
        }
        return output;
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
