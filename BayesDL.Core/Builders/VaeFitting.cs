using BayesDL.Data;
using BayesDL.Distributions;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Training;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// Fitting of the VAE family (and the deterministic autoencoder) by the one training loop, <see cref="Trainer"/> (Adam over
/// minibatches shuffled by its shuffle contract), with the settings of a variational fit: epochs, batch size, learning rate, seed;
/// <see cref="VariationalFitOptions.WeightSamples"/> z draws per example; a linear KL warm-up over
/// <see cref="VariationalFitOptions.KLWarmupEpochs"/>; with <see cref="VariationalFitOptions.AnalyticKL"/> the (posterior, prior) pair must
/// have a closed form, checked before any step.
/// <list type="bullet">
/// <item>VAE (Kingma &amp; Welling 2014): minimise -ELBO(x) = -E_q[log p(x|z)] + beta_t KL(q(z|x) || p(z));</item>
/// <item>conditional VAE (Sohn et al. 2015): the same with q(z|x,y) and p(x|z,y);</item>
/// <item>M2 (Kingma et al. 2014): <see cref="SemiSupervisedVae.Loss"/> on one labelled and one unlabelled minibatch per step,
/// an epoch being one pass over the unlabelled rows while labelled minibatches cycle through seeded permutations.</item>
/// </list>
/// <see cref="VariationalFitOptions.Checkpoint"/> checkpoints every one of these fits (the model's state dict, checkpoint kind VaeFamily)
/// and resumes it exactly. <c>onEpoch</c> sees each epoch's report as it ends (mean loss in nats per example; KL NaN: the VAE's KL is
/// per example, inside the loss); the fits return each epoch's mean loss.
/// </summary>
public static class VaeFitting
{
    /// <summary>Settings out of range, and with AnalyticKL an UnregisteredKL error when KL(Normal || p(z)) has no closed form.</summary>
    public static IReadOnlyList<BuildError> ValidateFit(Vae model, Tensor data, VariationalFitOptions options)
    {
        var errors = new List<BuildError>(BuildError.OfSettings(options.Validate, "fit"));
        if (!options.AnalyticKL) return errors;
        using var scope = NewDisposeScope();
        Tensor probe = zeros(1, dtype: data.dtype, device: data.device);
        errors.AddRange(KLRequirement.Analytic(Dist.Normal(probe, ones(1, dtype: data.dtype, device: data.device)),
            model.Prior(probe), -1, "vae prior"));
        return errors;
    }

    /// <summary>The checks of the generative part, and M2's own: one z draw per example (WeightSamples 1) and no KL warm-up.</summary>
    public static IReadOnlyList<BuildError> ValidateFit(SemiSupervisedVae model, Tensor unlabelled, VariationalFitOptions options)
    {
        var errors = new List<BuildError>(ValidateFit(model.Generative.Model, unlabelled, options));
        if (options.WeightSamples != 1 || options.KLWarmupEpochs != 0)
            errors.Add(new(BuildErrorKind.InvalidParameter, -1, "fit",
                "M2's objective (Kingma et al. 2014) draws one z per example without KL warm-up; found WeightSamples " +
                $"{options.WeightSamples}, KLWarmupEpochs {options.KLWarmupEpochs}. Use 1 and 0."));
        return errors;
    }

    /// <summary>Trains a VAE on the rows of <paramref name="data"/> ([N, DataFeatures]); returns each epoch's mean loss.</summary>
    public static IReadOnlyList<double> Fit(Vae model, Tensor data, VariationalFitOptions? options = null,
        Action<EpochReport>? onEpoch = null)
    {
        var o = Checked(model, data, options);
        var elbo = Elbo(o, data.shape[0]);
        model.Likelihood.CheckSupport(data, model.GetName());
        return Train(model, data, o,
            (idx, step) => model.ElboOfCheckedInputs(data[idx], elbo, step, null, o.WeightSamples).Loss, onEpoch);
    }

    /// <summary>
    /// Trains a deterministic autoencoder on the rows of <paramref name="data"/> by minimising the mean reconstruction loss
    /// -log p(x | z(x)) (no KL: WeightSamples, KLWarmupEpochs and AnalyticKL do not apply); returns each epoch's mean loss.
    /// </summary>
    public static IReadOnlyList<double> Fit(Autoencoder model, Tensor data, VariationalFitOptions? options = null,
        Action<EpochReport>? onEpoch = null)
    {
        var o = options ?? new VariationalFitOptions();
        BuildException.ThrowIfAny("fit settings", BuildError.OfSettings(o.Validate, "fit"));
        return Train(model, data, o, (idx, _) => model.ReconstructionLoss(data[idx]).mean(), onEpoch);
    }

    /// <summary>Trains a conditional VAE on labelled rows (inputs [N, DataFeatures], integer labels [N]); returns each
    /// epoch's mean loss.</summary>
    public static IReadOnlyList<double> Fit(ConditionalVae model, LabeledData data, VariationalFitOptions? options = null,
        Action<EpochReport>? onEpoch = null)
    {
        var o = Checked(model.Model, data.Inputs, options);
        var elbo = Elbo(o, data.Count);
        Tensor x = data.Inputs, y = data.Targets;
        model.Model.Likelihood.CheckSupport(x, model.Model.GetName());
        return Train(model, x, o, (idx, step) =>
        {
            Tensor xb = x[idx];
            return model.Model.ElboOfCheckedInputs(xb, elbo, step, model.OneHot(y[idx], xb), o.WeightSamples).Loss;
        }, onEpoch);
    }

    /// <summary>
    /// Trains M2 on <paramref name="labelled"/> rows and <paramref name="unlabelled"/> rows ([M, DataFeatures]); returns each
    /// epoch's mean loss. M2's objective draws one z per example and has no KL warm-up, so WeightSamples must be 1 and KLWarmupEpochs 0.
    /// </summary>
    public static IReadOnlyList<double> Fit(SemiSupervisedVae model, LabeledData labelled, Tensor unlabelled,
        VariationalFitOptions? options = null, Action<EpochReport>? onEpoch = null)
    {
        var o = options ?? new VariationalFitOptions();
        var errors = ValidateFit(model, unlabelled, o);
        BuildException.ThrowIfAny("M2 fit settings", errors);
        Tensor x = labelled.Inputs, y = labelled.Targets;
        long labelledRows = labelled.Count, batch = Math.Min(o.BatchSize, labelledRows), batchesPerOrder = labelledRows / batch, drawn = 0;
        using var generator = new Generator((ulong)(o.Seed + 1));
        Tensor order = empty(0, dtype: ScalarType.Int64);
        try
        {
            return Train(model, unlabelled, o, (idx, step) =>
            {
                // Step s takes labelled minibatch s mod k of permutation s div k (k whole minibatches per permutation); deriving the
                // position from the step, not from a running cursor, lets a run resumed at step s draw the permutations it skipped.
                while (drawn <= step / batchesPerOrder)
                {
                    order.Dispose();
                    order = randperm(labelledRows, generator: generator).to(x.device).DetachFromDisposeScope();
                    drawn++;
                }
                Tensor rows = order.narrow(0, step % batchesPerOrder * batch, batch);
                return model.Loss(x[rows], y[rows], unlabelled[idx]);
            }, onEpoch);
        }
        finally { order.Dispose(); }
    }

    static VariationalFitOptions Checked(Vae model, Tensor data, VariationalFitOptions? options)
    {
        options ??= new VariationalFitOptions();
        var errors = ValidateFit(model, data, options);
        BuildException.ThrowIfAny("fit settings", errors);
        return options;
    }

    static VaeElboOptions Elbo(VariationalFitOptions o, long rows) =>
        new(WarmupSteps: o.KLWarmupEpochs * ((rows + o.BatchSize - 1) / o.BatchSize));

    /// <summary>Trains <paramref name="model"/> on the rows of <paramref name="data"/> (the loss gets row indices and the steps taken
    /// before) through <see cref="Trainer"/>.</summary>
    static IReadOnlyList<double> Train(nn.Module model, Tensor data, VariationalFitOptions o,
        Func<Tensor, long, Tensor> loss, Action<EpochReport>? onEpoch)
    {
        // A checkpoint resumes only the same kind of fit with the same objective settings.
        string objective = TrainingCheckpoint.DescribeSettings(
            new { Fit = model.GetType().Name, o.WeightSamples, o.KLWarmupEpochs, o.AnalyticKL });
        var trainer = new Trainer(new TrainerOptions(o.Epochs, o.BatchSize, OptimizerKind.Adam, o.LearningRate,
            o.Seed, Checkpoint: o.Checkpoint));
        var (parameters, saved) = TrainingRun.Of(model);
        model.train();
        try
        {
            var run = new TrainingRun($"{nameof(VaeFitting)}.{nameof(Fit)}", parameters, saved, data.shape[0], data.device,
                (rows, position) => new MinibatchLoss(loss(rows, position.GlobalStep)), null, CheckpointKind.VaeFamily, objective);
            return trainer.Run(run, null, onEpoch).Select(r => r.MeanLoss).ToList();
        }
        finally { model.eval(); }
    }
}
