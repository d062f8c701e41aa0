using BayesDL.Distributions;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Shared machinery of mean-field Gaussian layers (Blundell et al. 2015): parameters (mu, rho) with
/// sigma = softplus(rho), computed with PyTorch's threshold (rho for rho &gt; 20) so exp never overflows in
/// float32; KL(q || p) in closed form when the registry has the (Normal, prior) pair, else by Monte Carlo.
/// </summary>
public abstract class VariationalLayer : nn.Module<Tensor, Tensor>, IVariationalLayer
{
    int _weightDraws = 1;

    /// <summary>Validates and keeps the options.</summary>
    protected VariationalLayer(string name, BayesLayerOptions options) : base(name)
    {
        options.Validate(name);
        Options = options;
    }

    /// <summary>Estimator, prior and initialisation settings.</summary>
    public BayesLayerOptions Options { get; }

    /// <inheritdoc/>
    public int WeightDraws
    {
        get => _weightDraws;
        set { Check.Positive(value, GetType().Name, nameof(WeightDraws)); _weightDraws = value; }
    }

    /// <inheritdoc/>
    public abstract Tensor KL();

    /// <summary>sigma = softplus(rho) = log(1 + e^rho), returning rho itself above 20 (no overflow, error &lt; e^-20).</summary>
    public static Tensor Sigma(Tensor rho) => nn.functional.softplus(rho, 1.0, 20.0);

    /// <summary>rho = softplus^-1(sigma) = log(e^sigma - 1), for initialising from a target sigma &gt; 0.</summary>
    public static Tensor InverseSigma(Tensor sigma) =>
        where(sigma.gt(20.0), sigma, sigma.clamp_max(20.0).expm1().log());

    [ThreadStatic] static ScaleSharing? _sharing;

    /// <summary>
    /// sigma = softplus(rho) and sigma^2 for the parameter <paramref name="rho"/>. Inside <see cref="ShareScalesWithinStep"/>
    /// with gradients on, computed once per parameter and reused: the forward pass of the local reparameterization needs
    /// sigma^2 and the KL term sigma and sum sigma^2, so a training step computes the softplus, the square and their
    /// backward passes once instead of twice (on Bayes by Backprop 784-400-400-10 about a fifth of a step's time).
    /// </summary>
    protected static (Tensor Sigma, Tensor Variance) Scales(Tensor rho)
    {
        bool share = _sharing is not null && is_grad_enabled();
        if (share && _sharing!.Scales.TryGetValue(rho, out var cached)) return cached;
        Tensor sigma = Sigma(rho), variance = sigma.square();
        if (share)
        {
            // Owned by the sharing scope, not by the dispose scope of the forward pass that made them.
            sigma.DetachFromDisposeScope();
            variance.DetachFromDisposeScope();
            _sharing!.Scales[rho] = (sigma, variance);
        }
        return (sigma, variance);
    }

    /// <summary>
    /// A scope for one training step (its forward passes, then <see cref="KL"/>, then the backward pass of their loss) in
    /// which every layer's sigma and sigma^2 are computed once (<see cref="Scales"/>); the parameters must not change inside
    /// it. The <see cref="Training.Trainer"/> opens one around each step's loss. Nested scopes share the outer one's.
    /// </summary>
    internal static IDisposable ShareScalesWithinStep() => _sharing is null ? new ScaleSharing() : NoScope.Instance;

    sealed class ScaleSharing : IDisposable
    {
        internal readonly Dictionary<Tensor, (Tensor Sigma, Tensor Variance)> Scales = new(ReferenceEqualityComparer.Instance);

        internal ScaleSharing() => _sharing = this;

        public void Dispose()
        {
            if (!ReferenceEquals(_sharing, this)) return;
            _sharing = null;
            foreach (var (sigma, variance) in Scales.Values) { sigma.Dispose(); variance.Dispose(); }
        }
    }

    sealed class NoScope : IDisposable
    {
        internal static readonly NoScope Instance = new();
        public void Dispose() { }
    }

    /// <summary>
    /// KL(N(mu, softplus(rho)^2) || prior) summed over all elements. For a Normal(m0, s0) prior this is the registry's
    /// closed form rearranged to reduce early (it is on every training step, over every weight):
    /// sum (sigma^2 + (mu - m0)^2) / (2 s0^2) - sum log sigma + n (log s0 - 1/2); other priors go through the registry.
    /// </summary>
    protected Tensor MeanFieldKL(Tensor mu, Tensor rho)
    {
        using var scope = NewDisposeScope();
        PriorSpec prior = Options.EffectivePrior;
        if (prior.Family == "Normal" && prior.Parameters.Length == 2)
        {
            double m0 = prior.Parameters[0], s0 = prior.Parameters[1];
            var (sigma, variance) = Scales(rho);
            // sum (mu - m0)^2 as one dot product: one pass over the weights instead of a square and a sum.
            Tensor centred = (m0 == 0.0 ? mu : mu - m0).flatten();
            Tensor closed = (variance.sum() + dot(centred, centred)) * (0.5 / (s0 * s0)) - sigma.log().sum()
                + mu.numel() * (Math.Log(s0) - 0.5);
            return closed.MoveToOuterDisposeScope();
        }
        Distribution q = Dist.Normal(mu, Sigma(rho), validate: false);
        Distribution p = Options.EffectivePrior.Build(mu.device, mu.dtype);
        return PosteriorKL.Sum(q, p, Options.KLSamples).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="draws"/> independent samples mu + sigma * eps, shape [draws, ...mu.shape]
    /// (the leading dimension is dropped when draws is 1 and <paramref name="keepDrawDimension"/> is false).
    /// </summary>
    protected static Tensor SampleWeights(Tensor mu, Tensor rho, int draws, bool keepDrawDimension)
    {
        long[] shape = keepDrawDimension || draws > 1 ? new long[] { draws }.Concat(mu.shape).ToArray() : mu.shape;
        return mu + Sigma(rho) * randn(shape, dtype: mu.dtype, device: mu.device);
    }

    /// <summary>Only the noise part sigma * eps of a weight draw (Flipout's shared perturbation).</summary>
    protected static Tensor SamplePerturbation(Tensor rho, int draws) =>
        Sigma(rho) * randn(new long[] { draws }.Concat(rho.shape).ToArray(), dtype: rho.dtype, device: rho.device);

    /// <summary>Independent uniform signs in {-1, +1}.</summary>
    protected static Tensor RandomSigns(long[] shape, ScalarType dtype, Device device) =>
        empty(shape, dtype: dtype, device: device).bernoulli_(0.5).mul_(2.0).sub_(1.0);

    /// <summary>The batch size per weight draw; throws when the batch does not split into <see cref="WeightDraws"/> groups.</summary>
    protected long GroupSize(Tensor input)
    {
        long batch = input.shape[0];
        Check.Argument(batch % WeightDraws == 0, GetType().Name, "input", $"a batch of {batch} rows",
            $"a multiple of WeightDraws = {WeightDraws} (one equal group per weight draw)",
            "Repeat the inputs WeightDraws times along the batch dimension.");
        return batch / WeightDraws;
    }

    /// <summary>Parameter initialised to a constant.</summary>
    protected static Parameter Constant(long[] shape, double value) => new(full(shape, value));
}
