using BayesDL.Networks;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Swag;

/// <summary>
/// A network's SWAG posterior: weight draws θ̃_t from <see cref="Gaussian"/> (the paper's scale), each run through the network's
/// functional form (<see cref="FunctionalNetwork"/>, batched over draws), so p(y* | x*) ≈ (1/T) Σ_t p(y* | f_θ̃_t(x*)), a
/// <see cref="PredictiveSamples"/> like every other method's (the metrics apply unchanged). Owns <see cref="Gaussian"/>.
/// </summary>
public sealed class SwagPosterior : IStochasticPredictor, IDisposable
{
    internal SwagPosterior(FunctionalNetwork network, Likelihood likelihood, SwagGaussian gaussian, long seed)
    {
        Network = network;
        Likelihood = likelihood;
        Gaussian = gaussian;
        Seed = seed;
    }

    /// <summary>The network, as a function of its weights.</summary>
    public FunctionalNetwork Network { get; }

    /// <summary>How an output becomes a predictive sample.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>The SWAG Gaussian over the weights.</summary>
    public SwagGaussian Gaussian { get; }

    /// <summary>The seed of the weight draws: every call of <see cref="Predict"/> uses the same draws.</summary>
    public long Seed { get; }

    /// <summary>
    /// T = <paramref name="samples"/> predictions at <paramref name="inputs"/> [N, ..input], one per weight draw (drawn with
    /// <see cref="Seed"/>); runs without gradient.
    /// </summary>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        Check.Positive(samples, nameof(SwagPosterior), nameof(samples), "Ask for e.g. 30 weight draws.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor draws = Gaussian.Sample(samples, Seed);
        var result = PredictDraws(Network, Likelihood, draws, inputs);
        result.Samples.MoveToOuterDisposeScope();
        result.Variances?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The network's predictive at the SWA mean θ_SWA alone (one sample): SWA, the paper's deterministic baseline.</summary>
    public PredictiveSamples PredictMean(Tensor inputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var result = PredictDraws(Network, Likelihood, Gaussian.Mean.unsqueeze(0), inputs);
        result.Samples.MoveToOuterDisposeScope();
        result.Variances?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The likelihood's predictive of draws [T, D] at inputs, ten draws at a time (the network's dtype is the inputs').</summary>
    internal static PredictiveSamples PredictDraws(FunctionalNetwork network, Likelihood likelihood, Tensor draws, Tensor inputs)
    {
        var outputs = new List<Tensor>();
        for (long start = 0; start < draws.shape[0]; start += 10)
        {
            Tensor chunk = draws.narrow(0, start, Math.Min(10, draws.shape[0] - start)).to(inputs.dtype, inputs.device);
            outputs.Add(network.Forward(chunk, inputs));
        }
        return likelihood.Predictive(cat(outputs, 0));
    }

    /// <inheritdoc/>
    public void Dispose() => Gaussian.Dispose();
}
