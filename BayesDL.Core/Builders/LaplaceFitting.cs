using BayesDL.Data;
using BayesDL.Inference;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// The Laplace approximation (<see cref="LaplacePosterior"/>) of a trained network the builders declared: a deterministic network
/// (<see cref="SequentialBuilder.BuildNetwork"/>, e.g. a member of <see cref="EnsembleBuilding.FitEnsemble"/>, which trains by maximum
/// likelihood) with its declaration's likelihood, or a <see cref="BuiltModel"/> (whose Bayesian or dropout layers are an error naming
/// them). The layers must be Linear and weightless (activations, Flatten).
/// </summary>
public static class LaplaceFitting
{
    /// <summary>Fits a <see cref="LaplacePosterior"/> around <paramref name="model"/>'s current weights on its training data.</summary>
    public static LaplacePosterior FitLaplace(this BuiltModel model, LabeledData data, LaplaceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return LaplacePosterior.Fit(model.Network.Body, model.Network.Likelihood, data, options);
    }

    /// <summary>Fits a <see cref="LaplacePosterior"/> around member <paramref name="member"/> of a trained deep ensemble.</summary>
    public static LaplacePosterior FitLaplace(this DeepEnsemble ensemble, int member, LabeledData data, LaplaceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        Validation.Check.Argument(member >= 0 && member < ensemble.Members.Count, nameof(LaplaceFitting), nameof(member),
            member.ToString(), $"a member index in [0, {ensemble.Members.Count - 1}]");
        return LaplacePosterior.Fit(ensemble.Members[member], ensemble.Likelihood, data, options);
    }

    /// <summary>The fluent face over a built model: <c>model.Laplace().LastLayer().Kron().Glm().TunePrior().Fit(data)</c>.</summary>
    public static LaplaceBuilder Laplace(this BuiltModel model) =>
        new(model.Network.Body, model.Network.Likelihood, new LaplaceOptions());

    /// <summary>
    /// The fluent face over a trained deterministic network of this declaration (<see cref="SequentialBuilder.BuildNetwork"/>), with
    /// the declaration's likelihood: <c>declaration.Laplace(network).LastLayer().Kron().TunePrior().Fit(data)</c>.
    /// </summary>
    public static LaplaceBuilder Laplace(this SequentialBuilder declaration, nn.Module network) =>
        new(network, Likelihood.FromSpec(declaration.Likelihood), new LaplaceOptions());
}
