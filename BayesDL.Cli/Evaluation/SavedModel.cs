using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Models;
using BayesDL.Networks;
using BayesDL.Posthoc;
using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Cli.Evaluation;

/// <summary>
/// A model file opened for <c>bayesdl predict</c> and <c>evaluate</c>: one network (vi, mcdropout, quickstart), a deep ensemble,
/// or a Laplace, SWAG or SG-MCMC posterior, with the <see cref="Standardization"/> it was trained under, if any
/// (<see cref="ModelFile.StandardizationOf"/>). Its
/// <see cref="Predict"/> takes rows on the data's original scale: the inputs go forward through x' = (x - mean_x) / sd_x, and a
/// regression predictive comes back on the target's scale, means mu = mean_y + sd_y mu' and noise variances s2 = sd_y^2 s2', so
/// the aleatoric part E[s2] and the epistemic part Var[mu] both scale by sd_y^2. Any other kind (a VAE, or a kind these commands
/// do not read) is an <see cref="InputException"/> naming it.
/// </summary>
internal sealed class SavedModel : IDisposable
{
    readonly IStochasticPredictor _predictor;
    // One forward pass (an ensemble's first member, a SWAG or SG-MCMC network at its mean or first draw), to learn the output width.
    readonly Func<Tensor, Tensor> _first;
    readonly Action _dispose;
    // The most draws the predictive can have (an SG-MCMC posterior's kept draws), or null when any number can be drawn.
    int? _draws;

    SavedModel(string path, IStochasticPredictor predictor, Func<Tensor, Tensor> first, LikelihoodKind likelihood, int? members,
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
                return Checked(path, network, network.forward, network.Likelihood.Describe().Kind, null, NetworkInput.Of(network),
                    scaling, network.Dispose);
            case ModelFileKind.Ensemble:
                var ensemble = Loaded(path, p => ModelFile.LoadEnsemble(p, policy));
                return Checked(path, ensemble, ensemble.Members[0].forward, ensemble.Likelihood.Describe().Kind, ensemble.Members.Count,
                    NetworkInput.Of(ensemble.Members[0]), scaling, () => Dispose(ensemble));
            case ModelFileKind.Laplace:
                var laplace = Loaded(path, p => ModelFile.LoadLaplace(p, policy));
                var body = (nn.Module<Tensor, Tensor>)laplace.Network;
                return Checked(path, laplace, body.forward, laplace.LikelihoodKind, null, NetworkInput.Of(body), scaling, laplace.Dispose);
            case ModelFileKind.Swag:
                var swag = Loaded(path, p => ModelFile.LoadSwag(p, policy));
                return Checked(path, swag, x => swag.Network.Forward(swag.Gaussian.Mean.to(x.dtype), x)[0],
                    swag.Likelihood.Describe().Kind, null, InputOf(swag.Network), scaling, () =>
                    {
                        swag.Likelihood.Dispose();
                        swag.Dispose();
                    });
            case ModelFileKind.Sgmcmc:
                var sgmcmc = Loaded(path, p => ModelFile.LoadSgmcmc(p, policy));
                var store = sgmcmc.Store;
                var opened = Checked(path, sgmcmc, x => sgmcmc.Network.Forward(store.ToTensor([(0, 0)], x.dtype, x.device), x)[0],
                    sgmcmc.Likelihood.Describe().Kind, null, InputOf(sgmcmc.Network), scaling, sgmcmc.Likelihood.Dispose);
                opened._draws = store.ChainCount * store.DrawsPerChain;
                return opened;
            case ModelFileKind.Vae:
                throw new InputException($"MODEL {path}: a model file of kind Vae: a VAE, which predicts no targets, so " +
                                         $"`bayesdl {command}` cannot use it; draw new data from it with `bayesdl sample`.");
            default:
                throw new InputException($"MODEL {path}: a model file of kind {kind}, which `bayesdl {command}` does not read yet; " +
                                         $"it reads the kinds {ModelFileKind.Network} (vi, mcdropout), {ModelFileKind.Ensemble}, " +
                                         $"{ModelFileKind.Laplace}, {ModelFileKind.Swag} and {ModelFileKind.Sgmcmc}.");
        }
    }

    /// <summary>What a network's functional form takes: the features per row, or the channels of an image input [C, H, W].</summary>
    static NetworkInput InputOf(FunctionalNetwork network) => new(network.InputShape[0], network.InputShape.Count > 1);

    static SavedModel Checked(string path, IStochasticPredictor predictor, Func<Tensor, Tensor> first, LikelihoodKind likelihood,
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

    /// <summary>
    /// The draws the predictive will have: the member count for an ensemble, at most the kept draws for an SG-MCMC posterior,
    /// <paramref name="requested"/> otherwise.
    /// </summary>
    public int Samples(int requested) => Members ?? (_draws is int draws ? Math.Min(draws, requested) : requested);

    /// <summary>The width of the model's output for the rows <paramref name="inputs"/> (original scale), from one row.</summary>
    public long Outputs(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor row = Forward(inputs.narrow(0, 0, 1));
        return _first(row).shape[^1];
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
