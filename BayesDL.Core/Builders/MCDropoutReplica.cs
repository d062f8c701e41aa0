using BayesDL.Data;

namespace BayesDL.Builders;

/// <summary>
/// One of the independent MC dropout fits that <see cref="SequentialBuilder.FitMCDropoutReplicas"/> trains together: a declared
/// MC dropout model (its own dropout rate and Gaussian noise) and its own training data.
/// </summary>
/// <param name="Model">The declaration (an MC dropout model with a fixed-noise Gaussian likelihood).</param>
/// <param name="Data">Its training rows; every replica of one fit has the same number of rows and the same row shapes.</param>
public sealed record MCDropoutReplica(SequentialBuilder Model, LabeledData Data);
