using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Models;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Cli.Evaluation;

/// <summary>
/// A model file opened for <c>bayesdl predict</c> and <c>evaluate</c>: one network (vi, mcdropout, quickstart), a deep ensemble
/// or a Laplace posterior, with the <see cref="Standardization"/> it was trained under, if any
/// (<see cref="ModelFile.StandardizationOf"/>). Its
/// <see cref="Predict"/> takes rows on the data's original scale: the inputs go forward through x' = (x - mean_x) / sd_x, and a
/// regression predictive comes back on the target's scale, means mu = mean_y + sd_y mu' and noise variances s2 = sd_y^2 s2', so
/// the aleatoric part E[s2] and the epistemic part Var[mu] both scale by sd_y^2. Any other kind (a VAE, or a kind these commands
/// do not read) is an <see cref="InputException"/> naming it.
/// </summary>
internal sealed class SavedModel : IDisposable
{
    readonly IStochasticPredictor _predictor;
    // The network a single forward pass goes through (an ensemble's first member), to learn the output width.
    readonly nn.Module<Tensor, Tensor> _first;
    readonly Action _dispose;

    SavedModel(string path, IStochasticPredictor predictor, nn.Module<Tensor, Tensor> first, LikelihoodKind likelihood, int? members,
        NetworkInput input, Standardization? scaling, Action dispose)
    {
        Path = path; _predictor = predictor; _first = first; Likelihood = likelihood; Members = members; Input = input;
        Scaling = scaling; _dispose = dispose;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>What the first weight layer takes: the features per row (or the channels of a convolution).</summary>
    public NetworkInput Input { get; }

    /// <summary>The standardisation of the training data, or null when the model was trained on data as given.</summary>
    public Standardization? Scaling { get; }

    /// <summary>The observation model: Categorical for a classifier, Gaussian for a regression model.</summary>
    public LikelihoodKind Likelihood { get; }

    /// <summary>The members of a deep ensemble (its predictive has one draw per member), null otherwise.</summary>
    public int? Members { get; }

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
                return Checked(path, network, network, network.Likelihood.Describe().Kind, null, NetworkInput.Of(network), scaling,
                    network.Dispose);
            case ModelFileKind.Ensemble:
                var ensemble = Loaded(path, p => ModelFile.LoadEnsemble(p, policy));
                return Checked(path, ensemble, ensemble.Members[0], ensemble.Likelihood.Describe().Kind, ensemble.Members.Count,
                    NetworkInput.Of(ensemble.Members[0]), scaling, () => Dispose(ensemble));
            case ModelFileKind.Laplace:
                var laplace = Loaded(path, p => ModelFile.LoadLaplace(p, policy));
                var body = (nn.Module<Tensor, Tensor>)laplace.Network;
                return Checked(path, laplace, body, laplace.LikelihoodKind, null, NetworkInput.Of(body), scaling, laplace.Dispose);
            case ModelFileKind.Vae:
                throw new InputException($"MODEL {path}: a model file of kind Vae: a VAE, which predicts no targets, so " +
                                         $"`bayesdl {command}` cannot use it; draw new data from it with `bayesdl sample`.");
            default:
                throw new InputException($"MODEL {path}: a model file of kind {kind}, which `bayesdl {command}` does not read yet; " +
                                         $"it reads the kinds {ModelFileKind.Network} (vi, mcdropout), {ModelFileKind.Ensemble} and " +
                                         $"{ModelFileKind.Laplace}.");
        }
    }

    static SavedModel Checked(string path, IStochasticPredictor predictor, nn.Module<Tensor, Tensor> first, LikelihoodKind likelihood,
        int? members, NetworkInput? input, Standardization? scaling, Action dispose)
    {
        try
        {
            if (input is null) throw new InputException($"MODEL {path}: the model has no weight layer to take inputs.");
            if (scaling is not null && (input.IsConvolutional || scaling.InputMean.Count != input.Size))
                throw new InputException($"MODEL {path}: a standardisation of {scaling.InputMean.Count} input columns for a model " +
                                         $"whose first layer takes {input.Size} {(input.IsConvolutional ? "channels" : "inputs")}; " +
                                         "the file is inconsistent.");
            return new SavedModel(path, predictor, first, likelihood, members, input, scaling, dispose);
        }
        catch
        {
            dispose();
            throw;
        }
    }

    /// <summary>The draws the predictive will have: the member count for an ensemble, <paramref name="requested"/> otherwise.</summary>
    public int Samples(int requested) => Members ?? requested;

    /// <summary>The width of the model's output for the rows <paramref name="inputs"/> (original scale), from one row.</summary>
    public long Outputs(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor row = Forward(inputs.narrow(0, 0, 1));
        return _first.forward(row).shape[^1];
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
        var p = _predictor.Predict(x, samples);
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
    public void Dispose() => _dispose();
}
