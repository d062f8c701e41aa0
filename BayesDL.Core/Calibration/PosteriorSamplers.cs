using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Mcmc;
using static TorchSharp.torch;

namespace BayesDL.Calibration;

/// <summary>
/// Factories of <see cref="IPosteriorSampler"/>: the library's MCMC samplers on a target built from each data set, a
/// Gaussian approximation computed from each data set (a variational family, a Laplace approximation, an exact conjugate
/// posterior), or any function (the way a sampler from elsewhere, e.g. SGLD, plugs in).
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
