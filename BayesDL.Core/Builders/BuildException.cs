namespace BayesDL.Builders;

/// <summary>
/// The one exception the builders and fits throw for a model declaration or fit settings they cannot use: it carries every
/// <see cref="BuildError"/> found (kind, layer, and a message naming the shapes or the setting and a fix), the same list the
/// validating methods (<see cref="SequentialBuilder.Validate()"/>, <see cref="SequentialBuilder.ValidateFit"/>,
/// <see cref="EnsembleBuilding.ValidateEnsemble"/>,
/// <see cref="VaeFitting.ValidateFit(Models.Vae, TorchSharp.torch.Tensor, VariationalFitOptions)"/>) return without throwing. An
/// <see cref="ArgumentException"/>, so callers that catch bad arguments catch it too.
/// </summary>
public sealed class BuildException : ArgumentException
{
    BuildException(string what, IReadOnlyList<BuildError> errors)
        : base($"The {what} has {errors.Count} mistake(s):" + Environment.NewLine +
            string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message))) =>
        Errors = errors;

    /// <summary>Every mistake found, in the order the checks ran.</summary>
    public IReadOnlyList<BuildError> Errors { get; }

    /// <summary>Throws a <see cref="BuildException"/> listing <paramref name="errors"/> unless it is empty; <paramref name="what"/> names
    /// the declaration, e.g. "model declaration".</summary>
    internal static void ThrowIfAny(string what, IReadOnlyList<BuildError> errors)
    {
        if (errors.Count > 0) throw new BuildException(what, errors);
    }
}
