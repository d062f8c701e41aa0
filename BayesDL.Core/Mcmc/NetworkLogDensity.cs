using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Networks;
using BayesDL.Predictive;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The posterior of a small network (a declaration's, through <c>SequentialBuilder.LogDensity</c>, or any
/// <see cref="FunctionalNetwork"/>) as an MCMC target over the flat vector theta of all its weights:
/// log p~(theta) = sum_l sum_j log p_l(theta_lj) + sum_i log p(y_i | f_theta(x_i)), with p_l the layer's prior
/// (its own, else the network's default; every weight and bias is random, deterministic layers included) and the
/// likelihood Gaussian N(y; f, sigma^2) with fixed sigma or Categorical(softmax(f)). theta packs each layer's weights
/// (a dense layer: W [out, in] row-major, then b [out]). The forward pass is the layers' functional forms: every chain's
/// weights are views of its row of theta [C, D], layers are batched over chains (h W^T + b for a dense layer), so autograd
/// gives d log p~ / d theta for HMC (Neal 1996, "Bayesian Learning for Neural Networks"; Izmailov et al. 2021).
/// </summary>
public sealed class NetworkLogDensity
{
    const string Who = nameof(NetworkLogDensity);
    readonly FunctionalNetwork _network;
    readonly Tensor _x, _y;
    readonly LikelihoodSpec _likelihood;
    readonly bool _gaussian;

    NetworkLogDensity(FunctionalNetwork network, Tensor x, Tensor y, LikelihoodSpec likelihood, ComputePolicy policy)
    {
        _network = network;
        _x = x;
        _y = y;
        _likelihood = likelihood;
        _gaussian = likelihood.Kind == LikelihoodKind.Gaussian;
        Policy = policy;
        Dimension = network.Dimension;
        InputWidth = network.InputShape.Aggregate(1L, (a, b) => a * b);
        OutputWidth = network.OutputShape[0];
        Target = LogDensity.FromBatchedFunction(Dimension, Evaluate, policy,
            $"network {Validation.Check.Shape([.. network.InputShape])} -> " +
            $"{Validation.Check.Shape([.. network.OutputShape])} ({Dimension} weights)");
    }

    /// <summary>The unnormalized log posterior, for <see cref="HamiltonianMonteCarlo.Sample"/> or
    /// <see cref="NoUTurnSampler.Sample"/>.</summary>
    public LogDensity Target { get; }

    /// <summary>D, the number of weights and biases.</summary>
    public int Dimension { get; }

    /// <summary>Features per input example (the elements of one example).</summary>
    public long InputWidth { get; }

    /// <summary>Outputs per example (targets for Gaussian, classes for Categorical).</summary>
    public long OutputWidth { get; }

    /// <summary>Device and dtype of data and theta (the data's).</summary>
    public ComputePolicy Policy { get; }

    /// <summary>
    /// The target for <paramref name="network"/> with <paramref name="likelihood"/> on data x [N, ..input] and y ([N] or
    /// [N, out] for Gaussian; class indices [N] for Categorical); the network must output one vector per example. The
    /// data's device and dtype become the target's (float64 recommended); <see cref="Dimension"/> is the network's.
    /// Throws <see cref="ArgumentException"/> naming the likelihood or shape that does not fit.
    /// </summary>
    public static NetworkLogDensity From(FunctionalNetwork network, LikelihoodSpec likelihood, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(likelihood);
        bool gaussian = likelihood.Kind == LikelihoodKind.Gaussian;
        Validation.Check.Argument((gaussian && likelihood.Noise == GaussianNoise.Fixed) || likelihood.Kind == LikelihoodKind.Categorical,
            Who, "likelihood", likelihood.DisplayName, "Gaussian with a fixed noise sigma or Categorical",
            "MCMC here samples weights only: use Likelihoods.Gaussian(sigma) (not a learned sigma) or Likelihoods.Categorical().");
        Validation.Check.Argument(network.OutputShape.Count == 1, Who, nameof(network),
            $"output shape {Validation.Check.Shape([.. network.OutputShape])} per example",
            "one output vector per example", "End the network with a dense layer (after a Flatten).");
        string input = Validation.Check.Shape([.. network.InputShape]);
        Validation.Check.Argument(x.dim() == network.InputShape.Count + 1 && x.shape[1..].SequenceEqual(network.InputShape)
            && x.shape[0] > 0, Who, nameof(x),
            $"shape {Validation.Check.Shape(x.shape)}",
            $"{Validation.Check.BatchShape([.. network.InputShape])} with N >= 1 (one example of shape {input} per row)");
        Validation.Check.Argument(x.is_floating_point(), Who, nameof(x), x.dtype.ToString(),
            "a floating-point tensor", "Use float64 for HMC.");
        Validation.Check.Finite(x, Who, nameof(x));
        long n = x.shape[0], outputs = network.OutputShape[0];
        Tensor target;
        if (gaussian)
        {
            bool ok = (y.dim() == 2 && y.shape[0] == n && y.shape[1] == outputs) || (y.dim() == 1 && y.shape[0] == n && outputs == 1);
            Validation.Check.Argument(ok, Who, nameof(y), $"shape {Validation.Check.Shape(y.shape)}",
                $"[{n}, {outputs}]{(outputs == 1 ? $" or [{n}]" : "")} (one target row per row of x)");
            Validation.Check.Finite(y, Who, nameof(y));
            target = y.to(x.dtype, x.device).reshape(n, outputs);
        }
        else
        {
            Validation.Check.Argument(y.dim() == 1 && y.shape[0] == n && !y.is_floating_point(), Who, nameof(y),
                $"shape {Validation.Check.Shape(y.shape)} {y.dtype}", $"integer class indices [{n}] (one per row of x)");
            Validation.Check.Satisfies(y.to(ScalarType.Float64), v => v.ge(0).logical_and(v.lt(outputs)), Who, nameof(y),
                $"a class index in [0, {outputs - 1}]");
            target = y.to(ScalarType.Int64, x.device).reshape(1, n, 1);
        }
        // The data lives as long as the target, outside any caller's dispose scope.
        return new(network, x.detach().clone().DetachFromDisposeScope(), target.detach().clone().DetachFromDisposeScope(), likelihood,
            new ComputePolicy(x.device, x.dtype));
    }

    /// <summary>The network, as a function of theta.</summary>
    public FunctionalNetwork Network => _network;

    /// <summary>f_theta(x) for every chain: theta [C, D] (or [D]) and inputs [N, ..input] -&gt; outputs [C, N, out]
    /// (logits for Categorical).</summary>
    public Tensor Forward(Tensor theta, Tensor inputs)
    {
        if (theta.dim() == 1) theta = theta.unsqueeze(0);
        CheckTheta(theta);
        Validation.Check.Argument(inputs.dim() == _network.InputShape.Count + 1
            && inputs.shape[1..].SequenceEqual(_network.InputShape), Who, nameof(inputs),
            $"shape {Validation.Check.Shape(inputs.shape)}", Validation.Check.BatchShape([.. _network.InputShape]));
        return _network.Forward(theta, inputs.to(Policy.Dtype, Policy.Device));
    }

    /// <summary>log p(theta) summed over all layers' weights, per chain: [C, D] -&gt; [C]
    /// (the library's prior distributions' LogProb).</summary>
    public Tensor LogPrior(Tensor theta)
    {
        CheckTheta(theta);
        return _network.LogPrior(theta);
    }

    /// <summary>sum_i log p(y_i | f_theta(x_i)) per chain on the training data: [C, D] -&gt; [C].</summary>
    public Tensor LogLikelihood(Tensor theta)
    {
        CheckTheta(theta);
        Tensor f = _network.Forward(theta, _x); // [C, N, out]
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
        Validation.Check.Argument(theta.dim() == 2 && theta.shape[1] == Dimension, Who, nameof(theta),
            $"shape {Validation.Check.Shape(theta.shape)}", $"[chains, {Dimension}] (one row of all {Dimension} weights per chain)");
}
