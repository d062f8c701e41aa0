using BayesDL.Builders;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Models;
using static TorchSharp.torch;

namespace BayesDL.Cli.Training;

/// <summary>
/// The models <c>bayesdl train</c> saves as weights only (TorchSharp's <c>Module.save</c>, because <see cref="ModelFile"/> holds one
/// <see cref="BayesianNetwork"/> and has no record for a VAE or an ensemble): they are rebuilt from the training options (the same
/// <c>--config</c>, or <c>--network</c> and <c>--activation</c>) and their weights loaded into them. A file that does not fit the
/// declared network is an <see cref="InputException"/> naming the file and TorchSharp's reason.
/// </summary>
internal static class WeightFile
{
    /// <summary>The VAE declared by <paramref name="options"/> with the weights of <paramref name="path"/>.</summary>
    public static Vae LoadVae(string path, TrainOptions options, ComputePolicy policy)
    {
        long[] widths = options.Widths();
        if (widths.Length < 3)
            throw new InputException($"--network {options.Network}: a VAE needs the input, at least one hidden width and the latent size, e.g. 784-400-20.");
        var vae = NetworkDeclaration.Vae(widths, options.ActivationKind()).Build(policy);
        return Load(vae, path, options);
    }

    /// <summary>The ensemble declared by <paramref name="options"/> (members, network, task) with the weights of <paramref name="path"/>.</summary>
    public static DeepEnsemble LoadEnsemble(string path, TrainOptions options, ComputePolicy policy)
    {
        var declared = NetworkDeclaration.Deterministic(options.Widths(), options.ActivationKind())
            .WithLikelihood(options.Task == "regression" ? Likelihoods.Heteroscedastic() : Likelihoods.Categorical());
        var ensemble = declared.BuildEnsemble(options.Members, options.Seed, policy);
        var members = Members(ensemble);
        Load(members, path, options);
        foreach (var member in ensemble.Members) member.eval();
        return ensemble;
    }

    /// <summary>
    /// The weights of a module in TorchSharp's format (<c>Module.save</c>), written to a temporary file in the same folder and
    /// renamed over <paramref name="path"/>, so an interrupted write never leaves half a model.
    /// </summary>
    public static void Save(nn.Module module, string path)
    {
        string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            module.save(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>The members of <paramref name="ensemble"/> as one module ("0", "1", ...), whose weights are saved and loaded together.</summary>
    public static nn.Module Members(DeepEnsemble ensemble) =>
        nn.Sequential(ensemble.Members.Select((m, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), m)).ToArray());

    static T Load<T>(T module, string path, TrainOptions options) where T : nn.Module
    {
        try
        {
            module.load(path, strict: true);
            module.eval();
            return module;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            module.Dispose();
            throw new InputException($"MODEL {path}: expected the weights of the {options.Method} network {options.Network} " +
                                     $"(activation {options.Activation}{(options.Method == "ensemble" ? $", {options.Members} members" : "")}) as " +
                                     $"`bayesdl train` saves them; found: {e.Message.TrimEnd('.')}. Give the options the model was trained with.");
        }
    }
}
