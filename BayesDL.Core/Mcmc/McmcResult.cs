using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The output of an MCMC run: the kept draws, the tuned sampler settings, and per-coordinate diagnostics.
/// Owns <see cref="Samples"/>; dispose it (or the result) when done.
/// </summary>
public sealed class McmcResult : IDisposable
{
    readonly double[] _draws;
    readonly Lazy<IReadOnlyList<ParameterSummary>> _summary;

    internal McmcResult(double[] draws, int chains, int drawsPerChain, int dimension, ComputePolicy policy, double[] stepSizes,
                        double[] inverseMass, double acceptanceRate, double warmupAcceptanceRate, bool[] divergent,
                        IReadOnlyList<double[]> divergencePoints,
                        long gradientEvaluations, IReadOnlyList<ChainGradients> gradientsPerChain, long targetCalls, TimeSpan elapsed)
    {
        _draws = draws;
        ChainCount = chains;
        DrawsPerChain = drawsPerChain;
        Dimension = dimension;
        Samples = policy.Tensor(draws, chains, drawsPerChain, dimension);
        StepSizes = stepSizes;
        InverseMassMatrix = Enumerable.Range(0, chains).Select(j => inverseMass[(j * dimension)..((j + 1) * dimension)]).ToArray();
        AcceptanceRate = acceptanceRate;
        WarmupAcceptanceRate = warmupAcceptanceRate;
        Divergences = divergent.Count(x => x);
        DivergencePoints = divergencePoints;
        DivergentTransitions = Enumerable.Range(0, chains).Select(j => divergent[(j * drawsPerChain)..((j + 1) * drawsPerChain)]).ToArray();
        GradientEvaluations = gradientEvaluations;
        GradientsPerChain = gradientsPerChain;
        TargetCalls = targetCalls;
        Elapsed = elapsed;
        _summary = new(() => Enumerable.Range(0, dimension).Select(i => ParameterSummary.Of(Trace(i))).ToArray());
    }

    /// <summary>The kept draws, [chains, draws, D], on the target's policy.</summary>
    public Tensor Samples { get; }

    /// <summary>Number of chains.</summary>
    public int ChainCount { get; }

    /// <summary>Kept draws per chain.</summary>
    public int DrawsPerChain { get; }

    /// <summary>D, the parameter dimension.</summary>
    public int Dimension { get; }

    /// <summary>Each chain's step size after warm-up (the adapted eps_bar, before jitter).</summary>
    public IReadOnlyList<double> StepSizes { get; }

    /// <summary>Each chain's diagonal inverse mass matrix M^-1 after warm-up (estimated posterior variances); with
    /// <see cref="HmcOptions.DenseMassMatrix"/>, the diagonal of the dense one.</summary>
    public IReadOnlyList<double[]> InverseMassMatrix { get; }

    /// <summary>Mean Metropolis acceptance probability min(1, exp(-Delta H)) over kept iterations and chains.</summary>
    public double AcceptanceRate { get; }

    /// <summary>
    /// Mean acceptance probability over the final step-size adaptation phase of warm-up (after the last mass-matrix
    /// update): the quantity dual averaging drives to <see cref="HmcOptions.TargetAcceptance"/>. The rate after warm-up,
    /// at the averaged step size, is usually somewhat higher (as in Stan). NaN without warm-up.
    /// </summary>
    public double WarmupAcceptanceRate { get; }

    /// <summary>Kept iterations whose energy error exceeded <see cref="HmcOptions.MaxEnergyError"/> or was not finite.</summary>
    public int Divergences { get; }

    /// <summary>
    /// Which kept iterations diverged, <c>[chain][draw]</c> (Stan's <c>divergent__</c>): the draw kept by a divergent transition
    /// marks where the sampler failed to follow the posterior's geometry (in the centred eight-schools model, the funnel's neck
    /// at small tau). Plot the draws with these flags against a scale parameter to find it.
    /// </summary>
    public IReadOnlyList<bool[]> DivergentTransitions { get; }

    /// <summary>
    /// Where each kept divergent transition failed, in the order of <see cref="DivergentTransitions"/> by iteration: for NUTS
    /// the position [D] its first divergent leapfrog step started from (PyMC's divergence point), for static HMC the
    /// trajectory's start. Unlike the kept draw, this is where the integrator lost the posterior.
    /// </summary>
    public IReadOnlyList<double[]> DivergencePoints { get; }

    /// <summary>Gradient evaluations of the log density over the whole run (one per chain per leapfrog step).</summary>
    public long GradientEvaluations { get; }

    /// <summary>
    /// Each chain's gradient evaluations, split into warm-up and sampling. Their totals add up to <see cref="GradientEvaluations"/>
    /// less the <see cref="ChainCount"/> evaluations of the initial positions; a chain far above the others explains a low
    /// <see cref="GradientEvaluations"/> / <see cref="TargetCalls"/>.
    /// </summary>
    public IReadOnlyList<ChainGradients> GradientsPerChain { get; }

    /// <summary>
    /// Batched calls of the target that answered those evaluations: each call evaluates the positions of all chains waiting
    /// for a gradient at once, so <see cref="GradientEvaluations"/> / <see cref="TargetCalls"/> is the rows per call (at most
    /// <see cref="ChainCount"/>). On small models the time per call barely depends on its rows.
    /// </summary>
    public long TargetCalls { get; }

    /// <summary>Wall-clock time of warm-up and sampling.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Coordinate <paramref name="parameter"/> as <c>[chain][draw]</c>, the input of <see cref="McmcDiagnostics"/>.</summary>
    public double[][] Trace(int parameter)
    {
        Validation.Check.Argument(parameter >= 0 && parameter < Dimension, nameof(McmcResult), nameof(parameter),
            parameter.ToString(), $"in [0, {Dimension - 1}]");
        return Enumerable.Range(0, ChainCount).Select(j =>
            Enumerable.Range(0, DrawsPerChain)
                .Select(i => _draws[((long)j * DrawsPerChain + i) * Dimension + parameter]).ToArray()).ToArray();
    }

    /// <summary>Per-coordinate mean, sd, MCSE, ESS, bulk ESS and R-hat (computed on first use).</summary>
    public IReadOnlyList<ParameterSummary> Summary => _summary.Value;

    /// <summary>The smallest ESS for the mean over coordinates.</summary>
    public double MinEss => Summary.Min(s => s.Ess);

    /// <summary>The largest R-hat over coordinates.</summary>
    public double MaxRHat => Summary.Max(s => s.RHat);

    /// <summary><see cref="MinEss"/> per second of wall-clock time (warm-up included).</summary>
    public double EssPerSecond => MinEss / Elapsed.TotalSeconds;

    /// <inheritdoc/>
    public void Dispose() => Samples.Dispose();
}
