using BayesDL.Builders;
using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Objectives;
using TorchSharp;
using static TorchSharp.torch;
using BayesDL.Predictive;

namespace BayesDL.Mcmc;

/// <summary>
/// The posterior of a small fully connected network declared with <see cref="SequentialBuilder"/> (or the F#
/// <c>model { }</c>), as an MCMC target over the flat vector theta of all its weights:
/// log p~(theta) = sum_l sum_j log p_l(theta_lj) + sum_i log p(y_i | f_theta(x_i)), with p_l the layer's prior
/// (its own, else the model's <see cref="SequentialBuilder.Prior"/>; every weight and bias is random, deterministic
/// Linear layers included) and the likelihood Gaussian N(y; f, sigma^2) with fixed sigma or Categorical(softmax(f)).
/// theta packs each dense layer as W [out, in] row-major, then b [out]. The forward pass is functional: every chain's
/// weights are views of its row of theta [C, D], layers are batched matrix products h W^T + b over chains, so autograd
/// gives d log p~ / d theta for HMC (Neal 1996, "Bayesian Learning for Neural Networks"; Izmailov et al. 2021).
/// The declaration's variational family is ignored: it describes an approximation q, while MCMC samples p(theta | y) itself.
/// </summary>
public sealed class NetworkLogDensity
{
    const string Who = nameof(NetworkLogDensity);
    readonly NetworkLayer[] _layers;
    readonly Tensor _x, _y;
    readonly LikelihoodSpec _likelihood;
    readonly bool _gaussian;

    NetworkLogDensity(NetworkLayer[] layers, Tensor x, Tensor y, LikelihoodSpec likelihood, ComputePolicy policy)
    {
        _layers = layers;
        _x = x;
        _y = y;
        _likelihood = likelihood;
        _gaussian = likelihood.Kind == LikelihoodKind.Gaussian;
        Policy = policy;
        Dimension = checked((int)layers.Sum(l => l.Count));
        InputWidth = layers[0].In;
        OutputWidth = layers[^1].Out;
        Target = LogDensity.FromBatchedFunction(Dimension, Evaluate, policy, $"network {string.Join(" -> ", layers.Select(l => l.In).Append(OutputWidth))}");
    }

    /// <summary>The unnormalized log posterior, for <see cref="HamiltonianMonteCarlo.Sample"/> or <see cref="NoUTurnSampler.Sample"/>.</summary>
    public LogDensity Target { get; }

    /// <summary>D, the number of weights and biases.</summary>
    public int Dimension { get; }

    /// <summary>Features per input example.</summary>
    public long InputWidth { get; }

    /// <summary>Outputs per example (targets for Gaussian, classes for Categorical).</summary>
    public long OutputWidth { get; }

    /// <summary>Device and dtype of data and theta (the data's).</summary>
    public ComputePolicy Policy { get; }

    /// <summary>
    /// The target for <paramref name="builder"/>'s network on data x [N, in] and y ([N] or [N, out] for Gaussian;
    /// class indices [N] for Categorical). Supported layers: Linear, BayesLinear and activations; the data's device
    /// and dtype become the target's (float64 recommended). Throws <see cref="ArgumentException"/> naming the layer,
    /// likelihood or shape that does not fit.
    /// </summary>
    public static NetworkLogDensity From(SequentialBuilder builder, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var errors = builder.Validate();
        Validation.Check.Argument(errors.Count == 0, Who, nameof(builder), string.Join(" ", errors.Select(e => e.Message)), "a valid declaration");
        Validation.Check.Argument(builder.HasLikelihood, Who, nameof(builder), "no likelihood", "a declaration with a likelihood",
            "Add WithLikelihood(Likelihoods.Gaussian(sigma)) or WithLikelihood(Likelihoods.Categorical()).");
        LikelihoodSpec likelihood = builder.Likelihood;
        bool gaussian = likelihood.Kind == LikelihoodKind.Gaussian;
        Validation.Check.Argument((gaussian && likelihood.Noise == GaussianNoise.Fixed) || likelihood.Kind == LikelihoodKind.Categorical,
            Who, "likelihood", LikelihoodFit.Name(likelihood), "Gaussian with a fixed noise sigma or Categorical",
            "MCMC here samples weights only: use Likelihoods.Gaussian(sigma) (not a learned sigma) or Likelihoods.Categorical().");
        var layers = NetworkLayer.From(builder);

        Validation.Check.Argument(x.dim() == 2 && x.shape[1] == layers[0].In && x.shape[0] > 0, Who, nameof(x), $"shape {Validation.Check.Shape(x.shape)}",
            $"[N, {layers[0].In}] with N >= 1 (one row of {layers[0].In} features per example)");
        Validation.Check.Argument(x.is_floating_point(), Who, nameof(x), x.dtype.ToString(), "a floating-point tensor", "Use float64 for HMC.");
        Validation.Check.Finite(x, Who, nameof(x));
        long n = x.shape[0], outputs = layers[^1].Out;
        Tensor target;
        if (gaussian)
        {
            bool ok = (y.dim() == 2 && y.shape[0] == n && y.shape[1] == outputs) || (y.dim() == 1 && y.shape[0] == n && outputs == 1);
            Validation.Check.Argument(ok, Who, nameof(y), $"shape {Validation.Check.Shape(y.shape)}", $"[{n}, {outputs}]{(outputs == 1 ? $" or [{n}]" : "")} (one target row per row of x)");
            Validation.Check.Finite(y, Who, nameof(y));
            target = y.to(x.dtype, x.device).reshape(n, outputs);
        }
        else
        {
            Validation.Check.Argument(y.dim() == 1 && y.shape[0] == n && !y.is_floating_point(), Who, nameof(y), $"shape {Validation.Check.Shape(y.shape)} {y.dtype}",
                $"integer class indices [{n}] (one per row of x)");
            Validation.Check.Satisfies(y.to(ScalarType.Float64), v => v.ge(0).logical_and(v.lt(outputs)), Who, nameof(y), $"a class index in [0, {outputs - 1}]");
            target = y.to(ScalarType.Int64, x.device).reshape(1, n, 1);
        }
        // The data lives as long as the target, outside any caller's dispose scope.
        return new(layers, x.detach().clone().DetachFromDisposeScope(), target.detach().clone().DetachFromDisposeScope(), likelihood, new ComputePolicy(x.device, x.dtype));
    }

    /// <summary>f_theta(x) for every chain: theta [C, D] (or [D]) and inputs [N, in] -&gt; outputs [C, N, out] (logits for Categorical).</summary>
    public Tensor Forward(Tensor theta, Tensor inputs)
    {
        if (theta.dim() == 1) theta = theta.unsqueeze(0);
        CheckTheta(theta);
        Validation.Check.Argument(inputs.dim() == 2 && inputs.shape[1] == InputWidth, Who, nameof(inputs), $"shape {Validation.Check.Shape(inputs.shape)}", $"[N, {InputWidth}]");
        return Propagate(theta, inputs.to(Policy.Dtype, Policy.Device));
    }

    /// <summary>log p(theta) summed over all layers' weights, per chain: [C, D] -&gt; [C] (the library's prior distributions' LogProb).</summary>
    public Tensor LogPrior(Tensor theta)
    {
        CheckTheta(theta);
        Tensor total = zeros(theta.shape[0], dtype: theta.dtype, device: theta.device);
        // Built per call (two scalar tensors per layer) so no tensor outlives the caller's dispose scope.
        foreach (var l in _layers) total = total + l.Prior.Build(theta.device, theta.dtype).LogProb(theta.narrow(1, l.Offset, l.Count)).sum(1);
        return total;
    }

    /// <summary>sum_i log p(y_i | f_theta(x_i)) per chain on the training data: [C, D] -&gt; [C].</summary>
    public Tensor LogLikelihood(Tensor theta)
    {
        CheckTheta(theta);
        Tensor f = Propagate(theta, _x); // [C, N, out]
        if (_gaussian)
            return Dist.Normal(f, full_like(f, _likelihood.Sigma), validate: false).LogProb(_y.expand_as(f)).sum(new long[] { 1, 2 });
        Tensor labels = _y.expand(f.shape[0], -1, -1);
        return nn.functional.log_softmax(f, -1).gather(2, labels).sum(new long[] { 1, 2 });
    }

    /// <summary>
    /// The posterior predictive from draws theta_t ([T, D], or an MCMC result's [chains, draws, D]) at inputs [N, in]:
    /// regression means f_t(x) [T, N, out] with the noise variance sigma^2 as aleatoric part, so epistemic = Var_t f_t(x)
    /// and total = sigma^2 + Var_t f_t(x) (law of total variance); or class probabilities softmax(f_t(x)). Runs without gradient.
    /// </summary>
    public PredictiveSamples Predict(Tensor draws, Tensor inputs)
    {
        Validation.Check.Argument((draws.dim() == 2 || draws.dim() == 3) && draws.shape[^1] == Dimension, Who, nameof(draws),
            $"shape {Validation.Check.Shape(draws.shape)}", $"[T, {Dimension}] or [chains, draws, {Dimension}]");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor f = Forward(draws.reshape(-1, Dimension).to(Policy.Dtype, Policy.Device), inputs);
        var result = _gaussian
            ? PredictiveSamples.Regression(f, full_like(f, _likelihood.Sigma * _likelihood.Sigma))
            : PredictiveSamples.FromLogits(f);
        result.Samples.MoveToOuterDisposeScope();
        result.Variances?.MoveToOuterDisposeScope();
        return result;
    }

    Tensor Evaluate(Tensor theta) => LogPrior(theta) + LogLikelihood(theta);

    void CheckTheta(Tensor theta) =>
        Validation.Check.Argument(theta.dim() == 2 && theta.shape[1] == Dimension, Who, nameof(theta), $"shape {Validation.Check.Shape(theta.shape)}",
            $"[chains, {Dimension}] (one row of all {Dimension} weights per chain)");

    Tensor Propagate(Tensor theta, Tensor inputs)
    {
        long c = theta.shape[0];
        Tensor h = inputs.unsqueeze(0).expand(c, -1, -1); // [C, N, in]
        foreach (var l in _layers)
        {
            Tensor w = theta.narrow(1, l.Offset, l.In * l.Out).view(c, l.Out, l.In);
            h = bmm(h, w.transpose(1, 2)); // [C, N, out]
            if (l.Bias) h = h + theta.narrow(1, l.Offset + l.In * l.Out, l.Out).unsqueeze(1);
            foreach (var a in l.Activations) h = Apply(a, h);
        }
        return h;
    }

    static Tensor Apply(Activation a, Tensor h) => a switch
    {
        Activation.Relu => nn.functional.relu(h),
        Activation.Tanh => h.tanh(),
        Activation.Sigmoid => h.sigmoid(),
        Activation.Softplus => nn.functional.softplus(h),
        Activation.Elu => nn.functional.elu(h, 1.0),
        Activation.Gelu => nn.functional.gelu(h),
        Activation.Softmax => h.softmax(-1),
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "unknown activation"),
    };
}
