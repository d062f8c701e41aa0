using BayesDL.Predictive;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Objectives;

/// <summary>
/// The evidence lower bound ELBO = sum_{i=1}^N E_q[log p(y_i | x_i, w)] - KL(q(w) || p(w)) (Blundell et al. 2015),
/// estimated per minibatch of size B as ELBO_b = sum_{i in b} (1/S) sum_s log p(y_i | x_i, w_s) - pi_b KL with
/// S weight draws and the schedule's KL share pi_b (B/N by default, so the KL is counted once per epoch and the
/// per-example loss is -mean log-lik + KL/N). The KL is collected from every variational layer of the model.
/// </summary>
public sealed class ElboObjective
{
    /// <summary>Binds the objective to a model and the training-set size N.</summary>
    public ElboObjective(IVariationalModel model, long datasetSize, ElboOptions? options = null)
    {
        Check.Positive(datasetSize, nameof(ElboObjective), nameof(datasetSize));
        Options = options ?? new ElboOptions();
        Options.Validate();
        Model = model;
        DatasetSize = datasetSize;
    }

    /// <summary>The model whose ELBO this is.</summary>
    public IVariationalModel Model { get; }

    /// <summary>N, the training-set size that scales the KL.</summary>
    public long DatasetSize { get; }

    /// <summary>Schedule and weight samples.</summary>
    public ElboOptions Options { get; }

    /// <summary>The ELBO terms of one minibatch (inputs [B, ...], targets [B, ...]).</summary>
    public ElboTerms Evaluate(Tensor inputs, Tensor targets, BatchPosition? position = null)
    {
        long b = inputs.shape[0];
        Check.Argument(targets.shape[0] == b, nameof(ElboObjective), nameof(targets),
            $"{targets.shape[0]} rows", $"{b} rows, one per input");
        double share = (Options.Schedule ?? KLSchedule.Constant()).Share(position ?? BatchPosition.FullBatch, b, DatasetSize);
        int s = Options.WeightSamples;
        using var scope = NewDisposeScope();
        Tensor outputs = Model.ForwardDraws(inputs, s);
        Tensor flat = outputs.view(new[] { s * b }.Concat(outputs.shape.Skip(2)).ToArray());
        Tensor repeatedTargets = s == 1 ? targets
            : targets.unsqueeze(0).expand(new[] { (long)s }.Concat(targets.shape).ToArray())
            .reshape(new[] { s * b }.Concat(targets.shape.Skip(1)).ToArray());
        Tensor logLik = Model.Likelihood.LogLikelihood(flat, repeatedTargets).view(s, b).mean(new long[] { 0 }).sum();
        Tensor kl = Model.KL();
        Tensor elbo = logLik - share * kl;
        Tensor loss = -elbo / b;
        return new ElboTerms(loss.MoveToOuterDisposeScope(), elbo.MoveToOuterDisposeScope(), logLik.MoveToOuterDisposeScope(),
            kl.MoveToOuterDisposeScope(), share);
    }

    /// <summary>The loss to minimise for one minibatch: -(ELBO_b) / B.</summary>
    public Tensor Loss(Tensor inputs, Tensor targets, BatchPosition? position = null)
    {
        var terms = Evaluate(inputs, targets, position);
        terms.Elbo.Dispose(); terms.ExpectedLogLikelihood.Dispose(); terms.KL.Dispose();
        return terms.Loss;
    }
}
