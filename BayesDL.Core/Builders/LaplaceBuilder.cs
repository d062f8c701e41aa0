using BayesDL.Data;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// Fluent settings of a Laplace approximation of a built model (each call returns a new builder; <see cref="Options"/> is the
/// immutable <see cref="LaplaceOptions"/> they stand for): <c>model.Laplace().LastLayer().Kron().Glm().TunePrior().Fit(data)</c>.
/// </summary>
public sealed class LaplaceBuilder
{
    readonly nn.Module _network;
    readonly Likelihood _likelihood;

    internal LaplaceBuilder(nn.Module network, Likelihood likelihood, LaplaceOptions options)
    {
        _network = network; _likelihood = likelihood; Options = options;
    }

    /// <summary>The options so far.</summary>
    public LaplaceOptions Options { get; }

    LaplaceBuilder With(LaplaceOptions options) => new(_network, _likelihood, options);

    /// <summary>Only the last dense layer is random.</summary>
    public LaplaceBuilder LastLayer() => With(Options with { Subset = LaplaceSubset.LastLayer });

    /// <summary>Every weight is random.</summary>
    public LaplaceBuilder AllWeights() => With(Options with { Subset = LaplaceSubset.AllWeights });

    /// <summary>Diagonal Hessian.</summary>
    public LaplaceBuilder Diagonal() => With(Options with { Hessian = HessianStructure.Diagonal });

    /// <summary>Kronecker-factored Hessian (KFAC).</summary>
    public LaplaceBuilder Kron() => With(Options with { Hessian = HessianStructure.Kron });

    /// <summary>Full Hessian.</summary>
    public LaplaceBuilder Full() => With(Options with { Hessian = HessianStructure.Full });

    /// <summary>Low-rank Hessian with <paramref name="rank"/> eigenpairs.</summary>
    public LaplaceBuilder LowRank(int rank = 20) => With(Options with { Hessian = HessianStructure.LowRank, Rank = rank });

    /// <summary>The linearised (GLM) predictive with the given link for classifiers.</summary>
    public LaplaceBuilder Glm(GlmLink link = GlmLink.Probit) => With(Options with { Predictive = LaplacePredictiveKind.Glm, Link = link });

    /// <summary>Monte Carlo over the weights with <paramref name="samples"/> draws.</summary>
    public LaplaceBuilder Sampling(int samples = 100) =>
        With(Options with { Predictive = LaplacePredictiveKind.Sampling, Samples = samples });

    /// <summary>The (initial) prior precision.</summary>
    public LaplaceBuilder PriorPrecision(double delta) => With(Options with { PriorPrecision = delta });

    /// <summary>Tune the prior precision (one, or per layer) by the log evidence.</summary>
    public LaplaceBuilder TunePrior(PriorPrecisionScope scope = PriorPrecisionScope.Global) =>
        With(Options with { TunePrior = true, PriorScope = scope });

    /// <summary>Tune a Gaussian likelihood's noise sd by the log evidence as well.</summary>
    public LaplaceBuilder TuneNoise() => With(Options with { TuneNoise = true });

    /// <summary>The memory budget of the Hessian in bytes.</summary>
    public LaplaceBuilder MemoryBudget(long bytes) => With(Options with { MemoryBudgetBytes = bytes });

    /// <summary>Fits the posterior on the model's training data (<see cref="LaplacePosterior.Fit"/>).</summary>
    public LaplacePosterior Fit(LabeledData data) => LaplacePosterior.Fit(_network, _likelihood, data, Options);
}
