namespace BayesDL.Mcmc;

/// <summary>
/// Convergence of a sampler's predictions (<see cref="SgmcmcPosterior.Diagnostics"/>): for every input and output (a class probability,
/// or a regression mean), its draws grouped by chain (or by cycle of one chain) give a rank-normalized split-R-hat and a bulk ESS
/// (<see cref="McmcDiagnostics"/>); the worst R-hat and the smallest and median ESS over those quantities. Predictions, unlike weights,
/// are identifiable, so they can agree across chains that sit in different modes of the weights (Izmailov et al. 2021).
/// </summary>
/// <param name="Groups">How many chains or cycles.</param>
/// <param name="GroupedBy">"chains", "cycles" or "one chain (split halves)".</param>
/// <param name="DrawsPerGroup">Draws per group (cycles are cut to the shortest).</param>
/// <param name="Quantities">Predictions diagnosed (constant ones, where the diagnostics are undefined, are skipped).</param>
/// <param name="MaxRHat">The largest split-R-hat.</param>
/// <param name="MinEss">The smallest bulk ESS.</param>
/// <param name="MedianEss">The median bulk ESS.</param>
public sealed record PredictionDiagnostics(int Groups, string GroupedBy, int DrawsPerGroup, int Quantities, double MaxRHat, double MinEss,
                                           double MedianEss);
