using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Models;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Training;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// A declared network as a deep ensemble (Lakshminarayanan, Pritzel &amp; Blundell 2017): M copies of the deterministic network,
/// differently initialised, each trained by maximum likelihood; the predictive is the uniform mixture
/// p(y | x) = (1/M) sum_m p(y | f_m(x)) (see <see cref="DeepEnsemble"/>). Members are point estimates, so the declaration must
/// have no Bayesian layer and no variational family, and its likelihood no learned parameter (one learned sigma per member
/// would not make one mixture): use the heteroscedastic Gaussian, as the paper does, or a fixed sigma.
/// </summary>
public static class EnsembleBuilding
{
    /// <summary>Every mistake that keeps the declaration from being an ensemble (the model's own mistakes first).</summary>
    public static IReadOnlyList<BuildError> ValidateEnsemble(this SequentialBuilder model, EnsembleFitOptions? options = null)
    {
        var errors = new List<BuildError>(model.Validate());
        errors.AddRange(BuildError.OfSettings((options ?? new EnsembleFitOptions()).Validate, "ensemble"));
        if (!model.HasLikelihood)
            errors.Add(new(BuildErrorKind.Incomplete, -1, "model",
                "The ensemble's model declares no likelihood; add WithLikelihood(Likelihoods.Heteroscedastic()) or similar."));
        else if (model.Likelihood is { Kind: LikelihoodKind.Gaussian, Noise: GaussianNoise.Homoscedastic })
            errors.Add(new(BuildErrorKind.LikelihoodMismatch, model.Layers.Count - 1,
                model.Layers.Count == 0 ? "model" : model.Layers[^1].Name,
                "ensemble: Gaussian(learned sigma) would learn one sigma per member, which the ensemble's mixture cannot combine. " +
                "Use the heteroscedastic Gaussian (each member predicts its mean and variance, Lakshminarayanan " +
                "et al. 2017) or a fixed sigma."));
        if (model.Family != VariationalFamily.MeanField)
            errors.Add(new(BuildErrorKind.UnsupportedFamily, -1, "model",
                "ensemble: members are point estimates trained by maximum likelihood; the declared family " +
                $"{model.Family.Name} does not apply. Remove it."));
        for (int i = 0; i < model.Layers.Count; i++)
            if (model.Layers[i].IsBayesian)
                errors.Add(new(BuildErrorKind.UnsupportedFamily, i, model.Layers[i].Name,
                    $"layer {i} '{model.Layers[i].Name}' is Bayesian, but ensemble members are deterministic networks " +
                    "trained by maximum likelihood. " +
                    "Declare it deterministic (Linear, Conv2d), or fit the Bayesian model variationally."));
        return errors;
    }

    /// <summary>
    /// The ensemble's <paramref name="members"/> untrained networks (member m created after seeding the engine with
    /// <paramref name="seed"/> + m) under <paramref name="policy"/>; throws listing every mistake.
    /// </summary>
    public static DeepEnsemble BuildEnsemble(this SequentialBuilder model, int members = 5, long seed = 0, ComputePolicy? policy = null)
    {
        var errors = model.ValidateEnsemble(new EnsembleFitOptions(Members: members, Seed: seed));
        BuildException.ThrowIfAny("ensemble declaration", errors);
        var p = policy ?? ComputePolicy.Default;
        var networks = new List<nn.Module<Tensor, Tensor>>();
        for (int m = 0; m < members; m++)
        {
            NativeEngine.Seed(seed + m);
            networks.Add(model.BuildNetwork(p));
        }
        return new DeepEnsemble(networks, p.Apply(Likelihood.FromSpec(model.Likelihood)));
    }

    /// <summary>
    /// Builds the ensemble and trains every member on <paramref name="data"/> (on the policy's device and dtype) by minimising
    /// the negative log-likelihood (plus its value at fast-gradient-sign inputs when <see cref="EnsembleFitOptions.AdversarialEpsilon"/>
    /// &gt; 0) through the one training loop (<see cref="Trainer"/>, member m with seed Seed + m); throws listing every declaration or
    /// setting mistake before any step. <paramref name="onEpoch"/> sees each member's (from 0) epoch reports as they end. With
    /// <see cref="EnsembleFitOptions.Checkpoint"/> the fit is checkpointed in one file and a killed fit resumes exactly, bitwise on CPU
    /// (the members before the one it was killed in are restored, not retrained).
    /// </summary>
    public static EnsembleFitResult FitEnsemble(this SequentialBuilder model, LabeledData data,
        EnsembleFitOptions? options = null, ComputePolicy? policy = null,
        Action<int, EpochReport>? onEpoch = null)
    {
        options ??= new EnsembleFitOptions();
        var errors = model.ValidateEnsemble(options);
        BuildException.ThrowIfAny("ensemble declaration", errors);
        var ensemble = model.BuildEnsemble(options.Members, options.Seed, policy);
        Tensor x = data.Inputs, y = data.Targets;
        var adversarial = options.AdversarialEpsilon > 0 ? new AdversarialObjective(options.AdversarialEpsilon, ensemble.Likelihood) : null;
        // One checkpoint holds every member's weights; the history of each member completed before the one in training.
        var saved = ensemble.Members.SelectMany((member, k) => member.state_dict()
            .Select(e => ($"member {k}/{e.Key}", (Tensor)e.Value))).ToList();
        var reports = new List<IReadOnlyList<EpochReport>>();
        var checkpoint = options.Checkpoint;
        int resumeAt = -1;
        if (checkpoint is { Resume: true } && File.Exists(checkpoint.Path))
        {
            var header = TrainingCheckpoint.Peek(checkpoint.Path, CheckpointKind.Ensemble);
            resumeAt = header.CompletedRuns!.Count;
            if (resumeAt >= ensemble.Members.Count)
                throw new FileFormatException(checkpoint.Path, $"a checkpoint of this ensemble fit ({ensemble.Members.Count} members)",
                    $"a checkpoint written in member {resumeAt + 1}. Resume with the options it was written with, or delete the file (or " +
                    "set Resume = false) to start afresh");
            // The weights of these members are restored when member resumeAt loads the checkpoint, which holds every member's.
            reports.AddRange(header.CompletedRuns);
        }
        string objective = TrainingCheckpoint.DescribeSettings(
            new { Fit = "ensemble", Likelihood = ensemble.Likelihood.GetType().Name, options.AdversarialEpsilon });
        for (int m = Math.Max(resumeAt, 0); m < ensemble.Members.Count; m++)
        {
            var member = ensemble.Members[m];
            int index = m;
            var trainer = new Trainer(new TrainerOptions(options.Epochs, options.BatchSize, OptimizerKind.Adam,
                options.LearningRate, options.Seed + m,
                Checkpoint: checkpoint is null ? null : checkpoint with { Resume = m == resumeAt }));
            var run = new TrainingRun($"{nameof(EnsembleBuilding)}.{nameof(FitEnsemble)} (member {m + 1} of {ensemble.Members.Count})",
                member.parameters().ToList(), saved, data.Count, x.device, (rows, _) =>
                {
                    Tensor xb = x.index_select(0, rows), yb = y.index_select(0, rows);
                    return new MinibatchLoss(adversarial is null
                        ? ensemble.Likelihood.LogLikelihood(member.forward(xb), yb).mean().neg()
                        : adversarial.Loss(member, xb, yb));
                }, null, CheckpointKind.Ensemble, objective,
                [TrainingCheckpoint.Same("the number of members", ensemble.Members.Count),
                TrainingCheckpoint.Same("the member in training", m + 1)], reports.ToList());
            member.train();
            try { reports.Add(trainer.Run(run, null, onEpoch is null ? null : r => onEpoch(index, r))); }
            finally { member.eval(); }
        }
        foreach (var member in ensemble.Members) member.eval();
        return new EnsembleFitResult(ensemble, reports.Select(r => (IReadOnlyList<double>)r.Select(e => e.MeanLoss).ToList()).ToList());
    }
}
