namespace BayesDL.Training;

/// <summary>What a step callback sees.</summary>
/// <param name="Step">Optimizer steps taken, including this one (1-based).</param>
/// <param name="Epoch">Epoch of the step (1-based).</param>
/// <param name="Loss">The minibatch loss -(ELBO_b) / B.</param>
public sealed record StepReport(long Step, int Epoch, double Loss);
