using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Layers;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Training;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// A built, validated model: the <see cref="BayesianNetwork"/> (layers and likelihood), its per-example input and
/// output shapes, the variational family it was declared with, and the compute policy it lives under.
/// </summary>
public sealed record BuiltModel(BayesianNetwork Network, long[] InputShape, long[] OutputShape, VariationalFamily Family,
                                ComputePolicy Policy) : IDisposable
{
    /// <summary>One stochastic forward pass f(x) for a batch x of shape [batch, ..InputShape] (raw outputs: logits, means).</summary>
    public Tensor Forward(Tensor x) => Network.forward(x);

    /// <summary>
    /// The predictive distribution from <paramref name="samples"/> stochastic passes (weight draws, or dropout masks for the
    /// dropout family), with the uncertainty measures of <see cref="PredictiveSamples"/>; evaluation mode, no gradient.
    /// </summary>
    public PredictiveSamples Predict(Tensor x, int samples)
    {
        Network.eval();
        using var _ = no_grad();
        return Network.Predict(x, samples);
    }

    /// <summary>
    /// Maximises the ELBO on <paramref name="data"/> (on the model's device and dtype, see <see cref="Policy"/>) with <see cref="Trainer"/>
    /// and <see cref="ElboObjective"/> (KL scaled by the training-set size; a linear KL warm-up over
    /// <see cref="VariationalFitOptions.KLWarmupEpochs"/>). For the dropout family the network has no weight posterior, the KL is zero and
    /// this is dropout training.
    /// </summary>
    public IReadOnlyList<EpochReport> Fit(LabeledData data, VariationalFitOptions? options = null)
    {
        options ??= new VariationalFitOptions();
        BuildException.ThrowIfAny("fit settings", BuildError.OfSettings(options.Validate, "fit"));
        long rows = data.Inputs.shape[0];
        long warmupSteps = options.KLWarmupEpochs * ((rows + options.BatchSize - 1) / options.BatchSize);
        var elbo = new ElboOptions(warmupSteps > 0 ? KLSchedule.LinearWarmup(warmupSteps) : null, options.WeightSamples);
        var trainer = new Trainer(new TrainerOptions(options.Epochs, options.BatchSize,
            LearningRate: options.LearningRate, Seed: options.Seed, Checkpoint: options.Checkpoint));
        Network.train();
        var objective = new ElboObjective(Network, data.Count, elbo);
        // The description a checkpoint must match: every setting but the epoch count and the checkpoint itself.
        Network.CheckInput(data.Inputs, "data.Inputs");
        var reports = trainer.Fit(Network, data, objective.Evaluate, Network.KL,
            objective: TrainingCheckpoint.DescribeSettings(options with { Epochs = 0, Checkpoint = null }));
        Network.eval();
        return reports;
    }

    /// <summary>
    /// Trains an MC dropout model (<see cref="VariationalFamily.Dropout"/>, or MC-dropout layers and no Bayesian or
    /// concrete-dropout layer) on <paramref name="data"/> (on the model's device and dtype) with <see cref="Trainer"/>,
    /// minimising per minibatch ℓ_data + Σ_i λ_i (‖W_i‖² + ‖b_i‖²) as set out in <see cref="MCDropoutFitOptions"/>: the data
    /// term is <see cref="AlphaDivergenceObjective"/> (α, K masks, the model's likelihood) when
    /// <see cref="MCDropoutFitOptions.Alpha"/> is set, else the dropout loss −mean log p(y | x, ω) of <see cref="Fit"/>; the prior
    /// term is <see cref="MCDropoutPrior.Regularizer"/> (λ_i = l² (1 − p_i) / (2N), N = training rows) when
    /// <see cref="MCDropoutFitOptions.LengthScale"/> is set. With neither set this is exactly <see cref="Fit"/> with the same
    /// epochs, batch size, learning rate and seed. Each <see cref="EpochReport"/> carries the mean loss, Elbo = −(sum over the
    /// epoch of B·loss_b) and as KL the prior term times N, Σ_i l² (1 − p_i) ‖W_i‖² / 2: Gal &amp; Ghahramani's KL(q ‖ p) up to a
    /// constant (0 without a prior). References: Gal &amp; Ghahramani, ICML 2016; Li &amp; Gal, ICML 2017.
    /// </summary>
    public IReadOnlyList<EpochReport> FitMCDropout(LabeledData data, MCDropoutFitOptions? options = null)
    {
        options ??= new MCDropoutFitOptions();
        const string component = nameof(BuiltModel) + "." + nameof(FitMCDropout);
        int variational = Network.VariationalLayers.Count, dropoutLayers = Network.Body.modules().OfType<IMonteCarloLayer>().Count();
        var errors = BuildError.OfSettings(options.Validate, "fit").ToList();
        if (variational > 0 || dropoutLayers == 0)
            errors.Add(new(BuildErrorKind.UnsupportedFamily, -1, "model",
                "MC dropout training needs the dropout family, or MC-dropout layers and no Bayesian or " +
                "concrete-dropout layer; the network, " +
                $"declared {Family.Name}, has {variational} variational (Bayesian or concrete-dropout) layer(s) and " +
                $"{dropoutLayers} MC-dropout layer(s). " +
                "Declare WithVariational(VariationalFamily.Dropout(p)) (F#: `variational (dropout p)`), or fit " +
                "this model with Fit (the ELBO)."));
        BuildException.ThrowIfAny("fit", errors);
        Check.Positive(data.Count, component, nameof(data));
        long n = data.Count;
        var elbo = new ElboObjective(Network, n);
        var prior = options.LengthScale is double l ? new MCDropoutPrior(l, n) : null;
        var alpha = options.Alpha is double a ? new AlphaDivergenceObjective(a, options.TrainingMasks, Network.Likelihood) : null;
        var trainer = new Trainer(new TrainerOptions(options.Epochs, options.BatchSize,
            LearningRate: options.LearningRate, Seed: options.Seed, Checkpoint: options.Checkpoint));
        Network.train();
        Network.CheckInput(data.Inputs, "data.Inputs");
        var reports = trainer.Fit(Network, data, Evaluate, () => prior is null ? Network.KL() : prior.Regularizer(Network) * n,
            objective: TrainingCheckpoint.DescribeSettings(options with { Epochs = 0, Checkpoint = null }));
        Network.eval();
        return reports;

        ElboTerms Evaluate(Tensor x, Tensor y, BatchPosition position)
        {
            // Neither option: the ELBO with zero KL, step for step the plain fit.
            if (alpha is null && prior is null) return elbo.Evaluate(x, y, position);
            long b = x.shape[0];
            Tensor dataLoss = alpha is null ? elbo.Loss(x, y, position) : alpha.Loss(Network, x, y);
            Tensor? penalty = prior?.Regularizer(Network);
            Tensor loss = penalty is null ? dataLoss : dataLoss + penalty;
            return new ElboTerms(loss, -loss * b, -dataLoss * b, penalty is null ? zeros_like(loss) : penalty * n, (double)b / n);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();
}
