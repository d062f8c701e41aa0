namespace BayesDL.Calibration;

/// <summary>
/// Settings of <see cref="Sbc.Run"/> (Talts et al. 2018, Algorithm 1 with thinning as in their section 5.1).
/// </summary>
/// <param name="Replications">N, simulated data sets (the paper uses 1,000 or more; fewer give a test of less power).</param>
/// <param name="Draws">L, posterior draws the rank is taken against; the rank of the true theta is in 0..L.</param>
/// <param name="Thinning">
/// k: the method is asked for L k draws and every k-th is kept, so the L draws of a Markov chain are nearly independent
/// (autocorrelated draws make the rank histogram U-shaped even for a correct sampler). 1 for independent draws.
/// </param>
/// <param name="Bins">
/// B, bins of the rank histogram and of the chi-square test; L + 1 must be a multiple of B so every bin holds as many ranks.
/// </param>
/// <param name="Seed">
/// Replication r seeds the engine with Seed + r before drawing theta and y, and passes a seed derived from it (another
/// stream) to the method.
/// </param>
public sealed record SbcOptions(int Replications = 1000, int Draws = 99, int Thinning = 1, int Bins = 20, long Seed = 0)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        const string who = nameof(SbcOptions);
        Validation.Check.Positive(Replications, who, nameof(Replications), "Use about 1,000 replications; a quick check may use 100.");
        Validation.Check.Positive(Draws, who, nameof(Draws), "Use L = 99 (100 possible ranks) or L = 19 for a quick check.");
        Validation.Check.Positive(Thinning, who, nameof(Thinning),
            "Use 1 for independent draws, or about 1 / (ESS per draw) for a Markov chain.");
        Validation.Check.Argument(Bins >= 2 && Bins <= Draws + 1, who, nameof(Bins), Bins.ToString(),
            $"in [2, {Draws + 1}] (Draws + 1 = L + 1)",
            "Use 20 bins for L = 99, or 10 or 5 for fewer draws.");
        Validation.Check.Argument((Draws + 1) % Bins == 0, who, nameof(Bins), $"{Bins} with Draws = {Draws}",
            $"a divisor of Draws + 1 = {Draws + 1}, so every bin covers as many ranks",
            $"Choose Draws = {Math.Max(1, (Draws + 1) / Bins) * Bins - 1} or a number of bins that divides {Draws + 1}.");
    }
}
