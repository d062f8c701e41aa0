using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Models;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Cli.Evaluation;

/// <summary>
/// A model file opened for <c>bayesdl predict</c> and <c>evaluate</c>: one network (vi, mcdropout, quickstart) or a deep ensemble,
/// with the <see cref="Standardization"/> it was trained under, if any (<see cref="ModelFile.StandardizationOf"/>). Its
/// <see cref="Predict"/> takes rows on the data's original scale: the inputs go forward through x' = (x - mean_x) / sd_x, and a
/// regression predictive comes back on the target's scale, means mu = mean_y + sd_y mu' and noise variances s2 = sd_y^2 s2', so
/// the aleatoric part E[s2] and the epistemic part Var[mu] both scale by sd_y^2. Any other kind (a VAE, or a kind these commands
/// do not read) is an <see cref="InputException"/> naming it.
/// </summary>
internal sealed class SavedModel : IDisposable
{
    readonly BayesianNetwork? _network;
    readonly DeepEnsemble? _ensemble;

    SavedModel(string path, BayesianNetwork? network, DeepEnsemble? ensemble, NetworkInput input, Standardization? scaling)
    {
        Path = path; _network = network; _ensemble = ensemble; Input = input; Scaling = scaling;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>What the first weight layer takes: the features per row (or the channels of a convolution).</summary>
    public NetworkInput Input { get; }

    /// <summary>The standardisation of the training data, or null when the model was trained on data as given.</summary>
    public Standardization? Scaling { get; }

    /// <summary>The observation model: Categorical for a classifier, Gaussian for a regression model.</summary>
    public LikelihoodKind Likelihood => (_network?.Likelihood ?? _ensemble!.Likelihood).Describe().Kind;

    /// <summary>The members of a deep ensemble (its predictive has one draw per member), null for a network.</summary>
    public int? Members => _ensemble?.Members.Count;

    /// <summary>
    /// Opens the model at <paramref name="path"/> under <paramref name="policy"/> for <c>bayesdl <paramref name="command"/></c>.
    /// A file that is not a model file, or one of a kind the command does not read, is an <see cref="InputException"/>.
    /// </summary>
    public static SavedModel Open(string path, string command, ComputePolicy policy)
    {
        var kind = Loaded(path, ModelFile.KindOf);
        var scaling = Loaded(path, ModelFile.StandardizationOf);
        switch (kind)
        {
            case ModelFileKind.Network:
                var network = Loaded(path, p => ModelFile.Load(p, policy));
                return Checked(path, network, null, NetworkInput.Of(network), scaling, network.Dispose);
            case ModelFileKind.Ensemble:
                var ensemble = Loaded(path, p => ModelFile.LoadEnsemble(p, policy));
                return Checked(path, null, ensemble, NetworkInput.Of(ensemble.Members[0]), scaling, () => Dispose(ensemble));
            case ModelFileKind.Vae:
                throw new InputException($"MODEL {path}: a model file of kind Vae: a VAE, which predicts no targets, so " +
                                         $"`bayesdl {command}` cannot use it; draw new data from it with `bayesdl sample`.");
            default:
                throw new InputException($"MODEL {path}: a model file of kind {kind}, which `bayesdl {command}` does not read yet; " +
                                         $"it reads the kinds {ModelFileKind.Network} (vi, mcdropout) and {ModelFileKind.Ensemble}.");
        }
    }

    static SavedModel Checked(string path, BayesianNetwork? network, DeepEnsemble? ensemble, NetworkInput? input, Standardization? scaling,
        Action dispose)
    {
        try
        {
            if (input is null) throw new InputException($"MODEL {path}: the model has no weight layer to take inputs.");
            if (scaling is not null && (input.IsConvolutional || scaling.InputMean.Count != input.Size))
                throw new InputException($"MODEL {path}: a standardisation of {scaling.InputMean.Count} input columns for a model " +
                                         $"whose first layer takes {input.Size} {(input.IsConvolutional ? "channels" : "inputs")}; " +
                                         "the file is inconsistent.");
            return new SavedModel(path, network, ensemble, input, scaling);
        }
        catch
        {
            dispose();
            throw;
        }
    }

    /// <summary>The draws the predictive will have: <paramref name="requested"/> for a network, the member count for an ensemble.</summary>
    public int Samples(int requested) => Members ?? requested;

    /// <summary>The width of the model's output for the rows <paramref name="inputs"/> (original scale), from one row.</summary>
    public long Outputs(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor row = Forward(inputs.narrow(0, 0, 1));
        var first = (nn.Module<Tensor, Tensor>?)_network ?? _ensemble!.Members[0];
        return first.forward(row).shape[^1];
    }

    /// <summary>
    /// The <paramref name="samples"/>-draw predictive (an ensemble: one draw per member) for rows <paramref name="inputs"/> on the
    /// data's original scale, with the engine seeded by <paramref name="seed"/>; a regression predictive on the target's scale.
    /// Its tensors, and the standardised inputs, belong to the caller's dispose scope.
    /// </summary>
    public PredictiveSamples Predict(Tensor inputs, int samples, long seed)
    {
        Tensor x = Forward(inputs);
        NativeEngine.Seed(seed);
        var p = _network?.Predict(x, samples) ?? _ensemble!.Predict(x);
        if (Scaling is null || p.Kind != PredictiveKind.Regression) return p;
        using (p)
            return PredictiveSamples.Regression(Scaling.TargetsToOriginal(p.Samples),
                p.Variances is { } v ? Scaling.VariancesToOriginal(v) : null);
    }

    /// <summary>The rows as the model saw them in training: standardised when it was trained so.</summary>
    Tensor Forward(Tensor inputs) => Scaling?.Inputs(inputs) ?? inputs;

    static T Loaded<T>(string path, Func<string, T> load)
    {
        try
        {
            return load(path);
        }
        catch (FileFormatException e)
        {
            throw new InputException($"MODEL {e.Message}");
        }
    }

    static void Dispose(DeepEnsemble ensemble)
    {
        foreach (var member in ensemble.Members) member.Dispose();
        ensemble.Likelihood.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _network?.Dispose();
        if (_ensemble is not null) Dispose(_ensemble);
    }
}
