using TorchSharp.Modules;

namespace BayesDL.Training;

/// <summary>
/// What a step callback sees, after the optimizer step: enough for methods that collect the iterates during training
/// (SWAG's first and second weight moments, SG-MCMC's samples) to read the weights and the step size they were taken with.
/// </summary>
/// <param name="Step">Optimizer steps taken, including this one (1-based, counted over the whole run).</param>
/// <param name="Epoch">Epoch of the step (1-based).</param>
/// <param name="Loss">The minibatch loss that was minimised (for the ELBO: -(ELBO_b) / B).</param>
/// <param name="BatchIndex">The minibatch's index within its epoch (0-based); the step with BatchIndex = BatchesPerEpoch -
/// 1 ends the epoch.</param>
/// <param name="BatchesPerEpoch">M, minibatches per epoch.</param>
/// <param name="LearningRate">The learning rate η_t this step was taken with (<see cref="LearningRateSchedule"/>).</param>
/// <param name="Parameters">The trained parameters, live (their values after this step): copy them to keep them, never change them.</param>
public sealed record StepReport(long Step, int Epoch, double Loss, int BatchIndex, int BatchesPerEpoch, double LearningRate,
                                IReadOnlyList<Parameter> Parameters)
{
    /// <summary>True for the last step of an epoch: the parameters are then those the epoch ends with.</summary>
    public bool EndsEpoch => BatchIndex == BatchesPerEpoch - 1;
}
