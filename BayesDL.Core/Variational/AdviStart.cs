namespace BayesDL.Variational;

/// <summary>How an <see cref="Advi.Fit"/> started (<see cref="AdviOptions.Initialization"/>).</summary>
/// <param name="Initialization">The start actually used: <see cref="AdviInitialization.Laplace"/>, or
/// <see cref="AdviInitialization.Origin"/> when asked for, or when the mode search failed.</param>
/// <param name="NewtonSteps">Newton steps the mode search took (0 when none was run).</param>
/// <param name="LogDensity">log p~ at the start's mean (the mode, or the origin).</param>
/// <param name="Note">A sentence on the start: the Newton decrement reached, or why the mode search was abandoned.</param>
public sealed record AdviStart(AdviInitialization Initialization, int NewtonSteps, double LogDensity, string Note);
