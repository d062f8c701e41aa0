using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Mcmc;
using BayesDL.Networks;
using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Calibration;

/// <summary>
/// Factories of <see cref="IPosteriorSampler"/>: the library's MCMC samplers on a target built from each data set, a
/// Gaussian approximation computed from each data set (a variational family, a Laplace approximation, an exact conjugate
/// posterior), stochastic-gradient MCMC over a network's weights (SGLD, SGHMC), or any function (the way a sampler from
/// elsewhere plugs in).
/// </summary>
public static class PosteriorSamplers
{
    /// <summary>
    /// NUTS (<see cref="NoUTurnSampler"/>) on <paramref name="target"/>(y). Asked for M draws, it runs
    /// <see cref="HmcOptions.Chains"/> chains of ceil(M / chains) kept draws each after <see cref="HmcOptions.Warmup"/>
    /// (its <see cref="HmcOptions.Samples"/> and <see cref="HmcOptions.Seed"/> are replaced) and returns the chains one
    /// after another, cut to M rows.
    /// </summary>
    public static IPosteriorSampler Nuts(Func<Tensor, LogDensity> target, HmcOptions? options = null) =>
        new McmcSampler("NUTS", target, options ?? new HmcOptions(Warmup: 200, Chains: 1), NoUTurnSampler.Sample);

    /// <summary>
    /// Static HMC (<see cref="HamiltonianMonteCarlo"/>) on <paramref name="target"/>(y); draws as for <see cref="Nuts"/>.
    /// </summary>
    public static IPosteriorSampler Hmc(Func<Tensor, LogDensity> target, HmcOptions? options = null) =>
        new McmcSampler("HMC", target, options ?? new HmcOptions(Warmup: 200, Chains: 1), HamiltonianMonteCarlo.Sample);

    /// <summary>
    /// A Gaussian N(m(y), S(y)) computed from each data set and sampled independently: exact for a conjugate model,
    /// an approximation for a variational or Laplace fit. The approximation is disposed after sampling.
    /// </summary>
    public static IPosteriorSampler Gaussian(string name, Func<Tensor, GaussianPosterior> fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return new FunctionSampler(name, (y, count, seed) =>
        {
            using GaussianPosterior q = fit(y);
            long d = q.Mean.shape[0];
            bool square = q.Covariance.dim() == 2 && q.Covariance.shape[0] == d && q.Covariance.shape[1] == d;
            Validation.Check.Argument(q.Mean.dim() == 1 && square, $"{nameof(PosteriorSamplers)}.{nameof(Gaussian)} '{name}'", "fit",
                $"mean {Validation.Check.Shape(q.Mean.shape)} and covariance " +
                $"{Validation.Check.Shape(q.Covariance.shape)}", "a mean [D] and a covariance [D, D]");
            NativeEngine.Seed(seed);
            using var scope = NewDisposeScope();
            Tensor cholesky = linalg.cholesky(q.Covariance);
            Tensor z = randn(count, d, dtype: q.Mean.dtype, device: q.Mean.device);
            return (q.Mean + z.matmul(cholesky.T)).MoveToOuterDisposeScope();
        });
    }

    /// <summary>
    /// Stochastic-gradient MCMC (<see cref="SgmcmcSampling"/>: SGLD, preconditioned SGLD or SGHMC, with a constant, cyclical or
    /// decreasing step size) over the weights of <paramref name="network"/> with <paramref name="likelihood"/> (no learned parameter)
    /// on the fixed inputs <paramref name="inputs"/> [N, ..input] and each simulated y (a [N] vector for a one-output Gaussian
    /// network becomes [N, 1]). Asked for M draws it runs M chains side by side for <see cref="SgmcmcOptions.Epochs"/> epochs,
    /// every chain from <paramref name="initial"/> [D] (zeros by default) with its own noise, and returns each chain's weights after
    /// the last step: M independent draws, so run <see cref="Sbc.Run"/> with Thinning = 1. The options' Chains, BurnInEpochs,
    /// Thinning and Seed are replaced (the seed by the replication's); the chains share the minibatch order, so their minibatch noise
    /// is common to all M draws (small next to the injected noise once the step size is small).
    /// </summary>
    public static IPosteriorSampler Sgmcmc(FunctionalNetwork network, Likelihood likelihood, Tensor inputs, SgmcmcOptions options,
        Tensor? initial = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(likelihood);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string name = (options.Sampler switch
        {
            SgmcmcKind.Sgld => "SGLD",
            SgmcmcKind.PreconditionedSgld => "preconditioned SGLD",
            _ => "SGHMC",
        }) + (options.StepDecay > 0 ? " (decreasing steps)" : options.Cycles > 0 ? " (cyclical)" : "");
        long rows = inputs.shape[0];
        int batches = (int)((rows + Math.Min(options.BatchSize, rows) - 1) / Math.Min(options.BatchSize, rows));
        return new FunctionSampler(name, (y, count, seed) =>
        {
            using var scope = NewDisposeScope();
            bool column = y.dim() == 1 && network.OutputShape.SequenceEqual([1L]);
            // Not disposed as a whole: the inputs are the caller's and y is the run's (the scope takes the [N, 1] view).
            var data = new LabeledData(inputs, column ? y.unsqueeze(1) : y);
            using Tensor start = initial?.detach().clone() ?? zeros(network.Dimension, dtype: inputs.dtype, device: inputs.device);
            var run = options with { Chains = count, BurnInEpochs = options.Epochs - 1, Thinning = batches, Seed = seed };
            SgmcmcPosterior chains = SgmcmcSampling.Sample(network, likelihood, data, start, run);
            var store = chains.Store;
            var last = Enumerable.Range(0, count).Select(c => (c, store.DrawsPerChain - 1)).ToArray();
            return store.ToTensor(last, inputs.dtype, inputs.device).MoveToOuterDisposeScope();
        });
    }

    /// <summary>Any method given as a function (y, M, seed) -&gt; draws [M, D].</summary>
    public static IPosteriorSampler FromFunction(string name, Func<Tensor, int, long, Tensor> draw)
    {
        ArgumentNullException.ThrowIfNull(draw);
        return new FunctionSampler(name, draw);
    }

    sealed class FunctionSampler(string name, Func<Tensor, int, long, Tensor> draw) : IPosteriorSampler
    {
        public string Name { get; } = name;
        public Tensor Draw(Tensor data, int count, long seed) => draw(data, count, seed);
    }

    sealed class McmcSampler(string name, Func<Tensor, LogDensity> target, HmcOptions options,
                             Func<LogDensity, HmcOptions?, Tensor?, McmcResult> sample) : IPosteriorSampler
    {
        public string Name { get; } = name;

        public Tensor Draw(Tensor data, int count, long seed)
        {
            ArgumentNullException.ThrowIfNull(target);
            int perChain = (count + options.Chains - 1) / options.Chains;
            using McmcResult run = sample(target(data), options with { Samples = perChain, Seed = seed }, null);
            using Tensor all = run.Samples.reshape(-1, run.Dimension);
            return all.narrow(0, 0, count).clone();
        }
    }
}
