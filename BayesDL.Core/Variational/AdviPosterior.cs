using BayesDL.Mcmc;
using BayesDL.Modeling;
using static TorchSharp.torch;

namespace BayesDL.Variational;

/// <summary>
/// A fitted ADVI guide of a <see cref="Modeling.Model"/>: the Gaussian on the unconstrained space (<see cref="Guide"/>), independent
/// draws from it mapped to the constrained scale (<see cref="Draws"/>, [1, draws] ++ shape, the layout of an MCMC posterior with one
/// chain), Stan's named summary of those draws (<see cref="Summary"/>; MCSE and ESS describe the summary's draws, not the fit), and
/// the ELBO per optimizer step (<see cref="ElboTrace"/>). Owns its tensors; dispose it when done.
/// </summary>
public sealed class AdviPosterior : IDisposable
{
    readonly Lazy<IReadOnlyList<NamedSummary>> _summary;

    internal AdviPosterior(Model model, GaussianGuide guide, double[] trace, double elbo, double elboStandardError, AdviOptions options,
                           TimeSpan elapsed, AdviStart start)
    {
        Start = start;
        Model = model;
        Guide = guide;
        ElboTrace = trace;
        Elbo = elbo;
        ElboStandardError = elboStandardError;
        Options = options;
        Elapsed = elapsed;
        Engine.NativeEngine.Seed(options.Seed + 2);
        using var scope = NewDisposeScope();
        IReadOnlyDictionary<string, Tensor> values = model.Constrain(guide.Sample(options.Draws));
        Draws = values.ToDictionary(kv => kv.Key, kv => kv.Value.unsqueeze(0).MoveToOuterDisposeScope());
        _summary = new(() => NamedSummary.Table(model, Draws));
    }

    /// <summary>The model fitted.</summary>
    public Model Model { get; }

    /// <summary>The fitted Gaussian on the unconstrained space (mean, covariance, draws).</summary>
    public GaussianGuide Guide { get; }

    /// <summary>The settings of the fit.</summary>
    public AdviOptions Options { get; }

    /// <summary>The Monte Carlo ELBO estimate of each optimizer step (<see cref="AdviOptions.GradientDraws"/> draws), in order.</summary>
    public IReadOnlyList<double> ElboTrace { get; }

    /// <summary>
    /// The ELBO of the fitted guide, E_q[log p~(x) - log q(x)] = log p(y) - KL(q || p), a lower bound on log p(y), estimated from
    /// <see cref="AdviOptions.ElboDraws"/> draws (log p~ is the model's density on the unconstrained space, Jacobians included).
    /// </summary>
    public double Elbo { get; }

    /// <summary>
    /// The Monte Carlo standard error of <see cref="Elbo"/>: sd(log p~(x) - log q(x)) / sqrt(<see cref="AdviOptions.ElboDraws"/>),
    /// which is 0 when q is the exact posterior (NaN from a single draw).
    /// </summary>
    public double ElboStandardError { get; }

    /// <summary>How the fit started: at the Laplace approximation (and after how many Newton steps), or at the origin and why.</summary>
    public AdviStart Start { get; }

    /// <summary>Wall time of the fit: the Laplace start's mode search and the optimisation.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Every parameter and deterministic quantity on the constrained scale, [1, draws] ++ its shape.</summary>
    public IReadOnlyDictionary<string, Tensor> Draws { get; }

    /// <summary>One row per scalar element, parameters first (in declaration order), then deterministic quantities.</summary>
    public IReadOnlyList<NamedSummary> Summary => _summary.Value;

    /// <summary>The summary row named <paramref name="name"/> ("tau", "theta[3]"), or an error listing the names.</summary>
    public NamedSummary this[string name] =>
        Summary.FirstOrDefault(s => s.Name == name) ?? throw Validation.Check.Error(nameof(AdviPosterior), nameof(name), $"'{name}'",
            $"one of {string.Join(", ", Summary.Select(s => s.Name))}", "Elements are numbered from 1, as in Stan: theta[1].");

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor t in Draws.Values) t.Dispose();
        Guide.Dispose();
    }
}
