using BayesDL.Inference;
using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// MCMC draws from a network's weight posterior p(theta | x, y) and the network they belong to: predicts like the
/// library's other stochastic predictors (Bayesian layers, MC dropout, ensembles), one prediction per kept draw
/// theta_t, so p(y* | x*) ~ (1/T) sum_t p(y* | f_theta_t(x*)). Owns <see cref="Result"/>; dispose it when done.
/// </summary>
public sealed class NetworkPosterior : IStochasticPredictor, IDisposable
{
    /// <summary>Pairs a target with an MCMC run on it (as <c>SequentialBuilder.SampleHmc</c> does).</summary>
    public NetworkPosterior(NetworkLogDensity network, McmcResult result)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(result);
        Validation.Check.Argument(result.Dimension == network.Dimension, nameof(NetworkPosterior), nameof(result),
            $"draws of dimension {result.Dimension}", $"draws of the network's {network.Dimension} weights");
        Network = network;
        Result = result;
    }

    /// <summary>The target the draws came from (forward pass, prior, likelihood).</summary>
    public NetworkLogDensity Network { get; }

    /// <summary>The MCMC run: draws [chains, draws, D], acceptance, divergences, ESS, R-hat.</summary>
    public McmcResult Result { get; }

    /// <summary>All kept draws: T = chains x draws predictions at <paramref name="inputs"/> [N, in].</summary>
    public PredictiveSamples Predict(Tensor inputs) => Network.Predict(Result.Samples, inputs);

    /// <summary>
    /// <paramref name="samples"/> predictions from draws evenly spaced over all chains' kept draws (thinning, so
    /// successive predictions are less correlated); at most chains x draws.
    /// </summary>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        long total = (long)Result.ChainCount * Result.DrawsPerChain;
        Validation.Check.Argument(samples >= 1 && samples <= total, nameof(NetworkPosterior), nameof(samples), samples.ToString(),
            $"in [1, {total}] (chains x kept draws)", "Ask for fewer predictions or run more MCMC draws.");
        using var index = linspace(0, total - 1, samples, dtype: ScalarType.Float64).round().to(ScalarType.Int64).to(Result.Samples.device);
        using var flat = Result.Samples.reshape(total, Result.Dimension);
        using var draws = flat.index_select(0, index);
        return Network.Predict(draws, inputs);
    }

    /// <summary>
    /// R-hat and ESS of the predictions at <paramref name="inputs"/> over all kept draws, grouped by chain (one chain: its split
    /// halves), as <see cref="SgmcmcPosterior.Diagnostics"/>. A network's weights permute freely, so chains in different modes
    /// have weight R-hats far above 1 while agreeing on predictions (Izmailov et al. 2021): this tells the two apart.
    /// </summary>
    public PredictionDiagnostics Diagnostics(Tensor inputs)
    {
        Validation.Check.Argument(Result.DrawsPerChain >= 4, nameof(NetworkPosterior), "draws", $"{Result.DrawsPerChain} per chain",
            "at least 4 (each chain is split in halves)");
        using var predictive = Predict(inputs);
        return PredictionDiagnostics.Of(predictive.Samples, Result.ChainCount,
            Result.ChainCount > 1 ? "chains" : "one chain (split halves)");
    }

    /// <inheritdoc/>
    public void Dispose() => Result.Dispose();
}
