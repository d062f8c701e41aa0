using BayesDL.Objectives;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Training;

/// <summary>One minibatch's result for the loop: the loss to minimise and, when the objective has one, its ELBO_b for the report.</summary>
internal readonly record struct MinibatchLoss(Tensor Loss, Tensor? Elbo = null);

/// <summary>
/// What <see cref="Trainer.Run"/> trains: the parameters the optimizer moves, the named tensors a checkpoint saves (a model's
/// state dict, or the parameters by position; an ensemble's checkpoint holds every member's), the number of rows and the
/// device their indices live on, the per-minibatch loss over row indices, and how a checkpoint of the run is described.
/// </summary>
/// <param name="Fit">The fit's name in messages ("Trainer", "VaeFitting.Fit", ...).</param>
/// <param name="Parameters">The parameters to optimise.</param>
/// <param name="Saved">The tensors a checkpoint saves and restores, by name.</param>
/// <param name="Rows">N, training rows; the loss receives int64 indices into 0..N-1.</param>
/// <param name="Device">Where the row indices are placed (the data's device).</param>
/// <param name="Loss">The minibatch loss for row indices and the batch's position.</param>
/// <param name="KL">The KL term reported after each epoch, or null (reported as NaN).</param>
/// <param name="Kind">The checkpoint kind.</param>
/// <param name="Objective">The objective's settings; a checkpoint resumes only under the same description.</param>
/// <param name="Settings">Further settings a checkpoint must match (an ensemble's member count).</param>
/// <param name="CompletedRuns">The histories of the runs completed before this one in a fit of several runs (ensemble members), saved
/// in its checkpoints.</param>
/// <param name="Update">Replaces the optimizer's step when set: called after backpropagation with the step's scheduled rate η_t (the
/// stochastic-gradient MCMC samplers move the parameters themselves, <c>BayesDL.Mcmc.SgmcmcSampler</c>); null: the optimizer steps.</param>
internal sealed record TrainingRun(string Fit, IReadOnlyList<Parameter> Parameters,
    IReadOnlyList<(string Name, Tensor Value)> Saved, long Rows,
    Device Device, Func<Tensor, BatchPosition, MinibatchLoss> Loss, Func<Tensor>? KL, CheckpointKind Kind, string Objective,
    IReadOnlyList<TrainingCheckpoint.Setting>? Settings = null, IReadOnlyList<IReadOnlyList<EpochReport>>? CompletedRuns = null,
    Action<double>? Update = null)
{
    /// <summary>A module's run: its parameters, its state dict (parameters and buffers) by name.</summary>
    public static (IReadOnlyList<Parameter> Parameters, IReadOnlyList<(string Name, Tensor Value)> Saved) Of(nn.Module model) =>
        (model.parameters().ToList(), model.state_dict().Select(e => (e.Key, e.Value)).ToList());
}
