using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Mcmc;
using BayesDL.Networks;
using BayesDL.Swag;
using BayesDL.Training;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// SWAG, MultiSWAG and stochastic-gradient MCMC on a declared network. The declaration is checked as an ensemble's is
/// (<see cref="EnsembleBuilding.ValidateEnsemble"/>: deterministic layers, a likelihood without learned parameters) and its networks are
/// made by <see cref="EnsembleBuilding.BuildEnsemble"/> (network m after seeding the engine with Seed + m): a MultiSWAG member or an
/// SG-MCMC chain starts from network m's initial weights, read into the network's functional form (<see cref="FunctionalNetwork"/>; each
/// weight's prior is its layer's own, else the declaration's <see cref="SequentialBuilder.Prior"/>, the prior the fits' loss uses).
/// Pass the data on the policy's device and dtype.
/// </summary>
public static class PosteriorFitting
{
    /// <summary>
    /// SWAG (<see cref="SwagFit"/>) from the declaration's initial weights (seed <see cref="SwagOptions.Seed"/>), or from
    /// <paramref name="initial"/> [D] (e.g. a trained network's weights, <c>FunctionalNetwork.Pack</c>).
    /// </summary>
    public static SwagPosterior FitSwag(this SequentialBuilder model, LabeledData data, SwagOptions? options = null,
        ComputePolicy? policy = null, Tensor? initial = null)
    {
        options ??= new SwagOptions();
        var (network, likelihood, starts) = Prepare(model, 1, options.Seed, policy);
        using var start = starts[0];
        return SwagFit.Fit(network, likelihood, data, initial ?? start, options);
    }

    /// <summary>
    /// MultiSWAG (Wilson &amp; Izmailov 2020): <paramref name="members"/> SWAG posteriors, member m with seed
    /// <see cref="SwagOptions.Seed"/> + m, from the ensemble's network m, or from row m of <paramref name="initial"/> [members, D]
    /// (e.g. a trained deep ensemble's weights, one <c>FunctionalNetwork.Pack</c> per member, stacked); the predictive is their
    /// equal mixture.
    /// </summary>
    public static MultiSwagPosterior FitMultiSwag(this SequentialBuilder model, LabeledData data, int members = 3,
        SwagOptions? options = null, ComputePolicy? policy = null, Tensor? initial = null)
    {
        options ??= new SwagOptions();
        Check.Positive(members, nameof(PosteriorFitting), nameof(members), "MultiSWAG needs at least one member (3 in the paper).");
        var (network, likelihood, starts) = Prepare(model, members, options.Seed, policy);
        var fitted = new List<SwagPosterior>();
        try
        {
            if (initial is not null)
                Check.Argument(initial.dim() == 2 && initial.shape[0] == members && initial.shape[1] == network.Dimension,
                    nameof(PosteriorFitting), nameof(initial), $"shape {Check.Shape(initial.shape)}",
                    $"[{members}, {network.Dimension}] (one row of weights per member)",
                    "Stack one FunctionalNetwork.Pack(member) per member, or pass null to start from fresh initialisations.");
            for (int m = 0; m < members; m++)
            {
                using var start = initial?[m];
                fitted.Add(SwagFit.Fit(network, likelihood, data, start ?? starts[m], options with { Seed = options.Seed + m }));
            }
        }
        catch
        {
            foreach (var f in fitted) f.Dispose();
            throw;
        }
        finally
        {
            foreach (var s in starts) s.Dispose();
        }
        return new MultiSwagPosterior(fitted);
    }

    /// <summary>
    /// Stochastic-gradient MCMC (<see cref="SgmcmcSampling"/>): chain c starts from the ensemble's network c (seed
    /// <see cref="SgmcmcOptions.Seed"/> + c), or every chain from <paramref name="initial"/> ([D] or [chains, D]).
    /// </summary>
    public static SgmcmcPosterior FitSgmcmc(this SequentialBuilder model, LabeledData data, SgmcmcOptions? options = null,
        ComputePolicy? policy = null, Tensor? initial = null)
    {
        options ??= new SgmcmcOptions();
        options.Validate();
        var (network, likelihood, starts) = Prepare(model, options.Chains, options.Seed, policy);
        try
        {
            using var stacked = stack(starts);
            return SgmcmcSampling.Sample(network, likelihood, data, initial ?? stacked, options);
        }
        finally
        {
            foreach (var s in starts) s.Dispose();
        }
    }

    static (FunctionalNetwork Network, Predictive.Likelihood Likelihood, Tensor[] Starts) Prepare(SequentialBuilder model, int count,
        long seed, ComputePolicy? policy)
    {
        var ensemble = model.BuildEnsemble(count, seed, policy);
        var network = FunctionalNetwork.From(ensemble.Members[0], model.ResolvedInput(), model.Prior,
            model.Layers.Select(l => l.Name).ToArray());
        var starts = ensemble.Members.Select(network.Pack).ToArray();
        foreach (var member in ensemble.Members) member.Dispose();
        return (network, ensemble.Likelihood, starts);
    }
}
