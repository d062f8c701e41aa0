using BayesDL.Distributions;
using BayesDL.KL;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Fully connected layer y = x W^T + b whose posterior over all d = out (in + 1) parameters theta = vec(W, b) is one
/// correlated Gaussian q(theta) = N(mu, Sigma), so the weights of a layer can co-vary (unlike mean field):
/// <list type="bullet">
/// <item>low rank plus diagonal (Rank k &gt;= 1): Sigma = U U^T + diag(sigma^2), sigma = softplus(rho), U: [d, k]
/// (the SLANG family of Mishkin et al. 2018), O(d k) parameters;</item>
/// <item>full (Rank 0): Sigma = L L^T, L lower-triangular with diagonal softplus(rho) (d^2 entries, so small layers only).</item>
/// </list>
/// Training uses the reparameterization trick: theta = mu + U eps_k + sigma ⊙ eps_d (or mu + L eps_d), eps ~ N(0, I),
/// one draw per group of <see cref="IVariationalLayer.WeightDraws"/>. <see cref="KL"/> is KL(q || p) for the
/// element-wise prior p(theta) = prod_i p(theta_i): in closed form for a Normal prior (presented as a
/// <see cref="LowRankMultivariateNormal"/> with diagonal covariance, so no d x d matrix is formed for low rank) through
/// the <see cref="KLDivergence"/> registry, otherwise the registry's reparameterized Monte Carlo estimate.
/// </summary>
public sealed class MultivariateBayesLinear : nn.Module<Tensor, Tensor>, IVariationalLayer
{
#pragma warning disable IDE1006 // TorchSharp registers parameters under their field names
    readonly Parameter mu, rho;
    readonly Parameter? factor, offdiagonal;
#pragma warning restore IDE1006
    int _weightDraws = 1;

    internal MultivariateBayesLinear(long inFeatures, long outFeatures, MultivariateBayesOptions options)
        : base(nameof(MultivariateBayesLinear))
    {
        Check.Positive(inFeatures, nameof(MultivariateBayesLinear), nameof(inFeatures));
        Check.Positive(outFeatures, nameof(MultivariateBayesLinear), nameof(outFeatures));
        long d = outFeatures * (inFeatures + 1);
        options.Validate(nameof(MultivariateBayesLinear), d);
        (InFeatures, OutFeatures, Parameters, Options) = (inFeatures, outFeatures, d, options);
        // Means as nn.Linear initialises W and b: U(-1/sqrt(in), 1/sqrt(in)).
        double bound = 1.0 / Math.Sqrt(inFeatures);
        mu = new Parameter(empty(d).uniform_(-bound, bound));
        rho = new Parameter(full(d, options.InitialRho));
        if (options.Rank > 0) factor = new Parameter(randn(d, options.Rank) * options.InitialFactorStd);
        else offdiagonal = new Parameter(zeros(d, d));
        RegisterComponents();
    }

    /// <summary>Input width.</summary>
    public long InFeatures { get; }

    /// <summary>Output width.</summary>
    public long OutFeatures { get; }

    /// <summary>d = out (in + 1), the number of parameters the posterior covers.</summary>
    public long Parameters { get; }

    /// <summary>Rank, prior and initialisation settings.</summary>
    public MultivariateBayesOptions Options { get; }

    /// <inheritdoc/>
    public int WeightDraws
    {
        get => _weightDraws;
        set { Check.Positive(value, nameof(MultivariateBayesLinear), nameof(WeightDraws)); _weightDraws = value; }
    }

    /// <summary>
    /// q(theta) over vec(W, b) (W row-major [out, in], then b): a <see cref="LowRankMultivariateNormal"/> N(mu, U U^T + diag(sigma^2))
    /// or a <see cref="MultivariateNormal"/> N(mu, L L^T), differentiable in the layer's parameters.
    /// Its tensors belong to the caller's dispose scope.
    /// </summary>
    public Distribution Posterior()
    {
        Tensor sigma = VariationalLayer.Sigma(rho);
        return factor is not null
            ? Dist.LowRankMultivariateNormal(mu, factor, sigma.square(), validate: false)
            : Dist.MultivariateNormalTril(mu, ScaleTril(sigma), validate: false);
    }

    /// <summary>
    /// The prior p(theta) = prod_i p(theta_i) as a distribution with event shape [d] on the parameters' device and dtype:
    /// N(m0, s0^2) as a <see cref="LowRankMultivariateNormal"/> with a zero factor and diagonal s0^2 (a registered pair with
    /// either posterior), Laplace and the scale mixture as <see cref="Independent"/> over d coordinates.
    /// </summary>
    public Distribution PriorDistribution() => PriorOver(Options.EffectivePrior, Parameters, mu.dtype, mu.device);

    /// <summary>The element-wise prior over a vector of <paramref name="parameters"/> coordinates
    /// (see <see cref="PriorDistribution"/>).</summary>
    internal static Distribution PriorOver(PriorSpec prior, long parameters, ScalarType dtype, Device device)
    {
        Tensor Filled(double v) => full(parameters, v, dtype: dtype, device: device);
        double[] a = prior.Parameters;
        return prior.Family switch
        {
            "Normal" => Dist.LowRankMultivariateNormal(Filled(a[0]), zeros(parameters, 1, dtype: dtype, device: device),
                Filled(a[1] * a[1]), validate: false),
            "Laplace" => Dist.Independent(Dist.Laplace(Filled(a[0]), Filled(a[1]), validate: false)),
            _ => Dist.Independent(Dist.ScaleMixtureNormal(Filled(a[0]), Filled(a[1]), Filled(a[2]), validate: false)),
        };
    }

    /// <summary>KL(q || p): the registry's closed form when the pair is registered (Normal prior), else its Monte Carlo estimate with
    /// <see cref="MultivariateBayesOptions.KLSamples"/> draws.</summary>
    public Tensor KL()
    {
        using var scope = NewDisposeScope();
        Distribution q = Posterior(), p = PriorDistribution();
        Tensor kl = KLDivergence.IsRegistered(q, p) ? KLDivergence.Analytic(q, p)
            : KLDivergence.MonteCarlo(q, p, Options.KLSamples).Estimate;
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>y = x W_s^T + b_s for input [batch, in], with the batch read as WeightDraws groups, group s using draw theta_s.</summary>
    public override Tensor forward(Tensor input)
    {
        Check.Argument(input.dim() == 2 && input.shape[1] == InFeatures, nameof(MultivariateBayesLinear), "input",
            "shape " + Check.Shape(input.shape), $"[batch, {InFeatures}]");
        long batch = input.shape[0];
        int s = WeightDraws;
        Check.Argument(batch % s == 0, nameof(MultivariateBayesLinear), "input", $"a batch of {batch} rows",
            $"a multiple of WeightDraws = {s} (one equal group per weight draw)");
        using var scope = NewDisposeScope();
        Tensor sigma = VariationalLayer.Sigma(rho);
        Tensor noise = randn(s, Parameters, dtype: mu.dtype, device: mu.device);
        Tensor theta = factor is not null
            ? mu + randn(s, factor.shape[1], dtype: mu.dtype, device: mu.device).matmul(factor.t()) + sigma * noise
            : mu + noise.matmul(ScaleTril(sigma).t());                                   // [S, d]
        long wCount = OutFeatures * InFeatures;
        Tensor w = theta.narrow(1, 0, wCount).view(s, OutFeatures, InFeatures);
        Tensor b = theta.narrow(1, wCount, OutFeatures).unsqueeze(1);                       // [S, 1, out]
        Tensor output = input.view(s, batch / s, InFeatures).bmm(w.transpose(1, 2)) + b;
        return output.view(batch, OutFeatures).MoveToOuterDisposeScope();
    }

    /// <summary>L = strictly-lower(offdiagonal) + diag(sigma).</summary>
    Tensor ScaleTril(Tensor sigma) => offdiagonal!.tril(-1) + sigma.diag();
}

public static partial class BayesNN
{
    /// <summary>
    /// A Bayesian fully connected layer in -&gt; out with a correlated Gaussian posterior over all its weights and biases:
    /// low rank plus diagonal (<c>Rank</c> k &gt;= 1) or full covariance (Rank 0, the default); prior N(0, 1) unless given.
    /// </summary>
    public static MultivariateBayesLinear MultivariateBayesLinear(long inFeatures, long outFeatures,
        MultivariateBayesOptions? options = null) =>
        new(inFeatures, outFeatures, options ?? new MultivariateBayesOptions());
}
