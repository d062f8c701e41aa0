using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Models;
using BayesDL.Objectives;
using TorchSharp;
using static TorchSharp.torch;
using BayesDL.Predictive;

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
            errors.Add(new(BuildErrorKind.Incomplete, -1, "model", "The ensemble's model declares no likelihood; add WithLikelihood(Likelihoods.Heteroscedastic()) or similar."));
        else if (model.Likelihood is { Kind: LikelihoodKind.Gaussian, Noise: GaussianNoise.Homoscedastic })
            errors.Add(new(BuildErrorKind.LikelihoodMismatch, model.Layers.Count - 1, model.Layers.Count == 0 ? "model" : model.Layers[^1].Name,
                "ensemble: Gaussian(learned sigma) would learn one sigma per member, which the ensemble's mixture cannot combine. " +
                "Use the heteroscedastic Gaussian (each member predicts its mean and variance, Lakshminarayanan et al. 2017) or a fixed sigma."));
        if (model.Family != VariationalFamily.MeanField)
            errors.Add(new(BuildErrorKind.UnsupportedFamily, -1, "model",
                $"ensemble: members are point estimates trained by maximum likelihood; the declared family {model.Family.Name} does not apply. Remove it."));
        for (int i = 0; i < model.Layers.Count; i++)
            if (model.Layers[i].IsBayesian)
                errors.Add(new(BuildErrorKind.UnsupportedFamily, i, model.Layers[i].Name,
                    $"layer {i} '{model.Layers[i].Name}' is Bayesian, but ensemble members are deterministic networks trained by maximum likelihood. " +
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
    /// &gt; 0); throws listing every declaration or setting mistake before any step.
    /// </summary>
    public static EnsembleFitResult FitEnsemble(this SequentialBuilder model, LabeledData data, EnsembleFitOptions? options = null, ComputePolicy? policy = null)
    {
        options ??= new EnsembleFitOptions();
        var errors = model.ValidateEnsemble(options);
        BuildException.ThrowIfAny("ensemble declaration", errors);
        var ensemble = model.BuildEnsemble(options.Members, options.Seed, policy);
        Tensor x = data.Inputs, y = data.Targets;
        var losses = new List<IReadOnlyList<double>>();
        var adversarial = options.AdversarialEpsilon > 0 ? new AdversarialObjective(options.AdversarialEpsilon, ensemble.Likelihood) : null;
        for (int m = 0; m < ensemble.Members.Count; m++)
        {
            var member = ensemble.Members[m];
            member.train();
            losses.Add(VaeTraining.Fit(member.parameters(), data.Count,
                (idx, _) => adversarial is null
                    ? ensemble.Likelihood.LogLikelihood(member.forward(x[idx]), y[idx]).mean().neg()
                    : adversarial.Loss(member, x[idx], y[idx]),
                new VaeTrainingOptions(options.Epochs, options.BatchSize, options.LearningRate, options.Seed + m)));
            member.eval();
        }
        return new EnsembleFitResult(ensemble, losses);
    }
}
