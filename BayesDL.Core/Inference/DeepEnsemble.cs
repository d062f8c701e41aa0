using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Inference;

/// <summary>
/// Deep ensemble (Lakshminarayanan, Pritzel &amp; Blundell, NeurIPS 2017): M networks trained independently
/// from different random initializations and data orders with a proper scoring rule (NLL), optionally plus the
/// paper's adversarial training (<see cref="Objectives.AdversarialObjective"/>); the predictive
/// is the uniform mixture p(y | x) = (1/M) Σ_m p_θ_m(y | x), for heteroscedastic regression a mixture of
/// Gaussians with mean μ̄ = (1/M) Σ μ_m and variance (1/M) Σ (σ²_m + μ_m²) − μ̄². Through
/// <see cref="IStochasticPredictor"/> each member is one "sample", so entropy, mutual information and
/// aleatoric/epistemic variances come out exactly as for MC dropout or Bayesian layers.
/// </summary>
public sealed class DeepEnsemble : IStochasticPredictor
{
    readonly nn.Module<Tensor, Tensor>[] _members;

    /// <summary>An ensemble of trained members whose outputs <paramref name="likelihood"/> interprets
    /// (default categorical: logits).</summary>
    public DeepEnsemble(IEnumerable<nn.Module<Tensor, Tensor>> members, Likelihood? likelihood = null)
    {
        _members = members.ToArray();
        Check.Argument(_members.Length >= 1, nameof(DeepEnsemble), nameof(members), "0 members", "at least one member network");
        Likelihood = likelihood ?? Likelihood.Categorical();
    }

    /// <summary>The member networks.</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Members => _members;

    /// <summary>How each member's output becomes a predictive sample.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>
    /// The predictions of the first <paramref name="samples"/> members ([samples, N, ...]); pass
    /// <see cref="Members"/>.Count for the full ensemble. Members run in evaluation mode (any dropout
    /// layers they contain keep their own evaluation behaviour) without gradient.
    /// </summary>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        Check.Argument(samples >= 1 && samples <= _members.Length, nameof(DeepEnsemble), nameof(samples), samples.ToString(),
            $"between 1 and the number of members ({_members.Length})", "An ensemble has one prediction per member; pass Members.Count.");
        using var scope = NewDisposeScope();
        var result = Likelihood.Predictive(Outputs(inputs, samples));
        result.Samples.MoveToOuterDisposeScope();
        result.Variances?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The full ensemble's predictive (all M members).</summary>
    public PredictiveSamples Predict(Tensor inputs) => Predict(inputs, _members.Length);

    Tensor Outputs(Tensor inputs, int samples)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var outputs = new Tensor[samples];
        for (int m = 0; m < samples; m++)
        {
            var member = _members[m];
            bool wasTraining = member.training;
            member.eval();
            try { outputs[m] = member.forward(inputs); }
            finally { member.train(wasTraining); }
        }
        return stack(outputs).MoveToOuterDisposeScope();
    }
}
