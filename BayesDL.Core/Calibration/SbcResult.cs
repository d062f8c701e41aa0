namespace BayesDL.Calibration;

/// <summary>
/// The outcome of <see cref="Sbc.Run"/>: per parameter, the ranks, their histogram and the uniformity p-value.
/// </summary>
/// <param name="Model">The model's name.</param>
/// <param name="Method">The inference method's name.</param>
/// <param name="Options">The settings of the run (replications N, draws L, thinning k, bins B, seed).</param>
/// <param name="Parameters">One result per parameter, in the model's order.</param>
/// <param name="Elapsed">Wall-clock time of the whole run.</param>
public sealed record SbcResult(string Model, string Method, SbcOptions Options, IReadOnlyList<SbcParameterResult> Parameters,
                               TimeSpan Elapsed)
{
    /// <summary>The smallest p-value over parameters.</summary>
    public double MinPValue => Parameters.Min(p => p.PValue);

    /// <summary>
    /// min(1, D min_i p_i): the Bonferroni-adjusted p-value of "every parameter is calibrated", so one threshold holds
    /// for the family of D tests.
    /// </summary>
    public double AdjustedPValue => Math.Min(1, Parameters.Count * MinPValue);

    /// <summary>The parameter named <paramref name="name"/>.</summary>
    public SbcParameterResult this[string name] =>
        Parameters.FirstOrDefault(p => p.Name == name)
        ?? throw Validation.Check.Error(nameof(SbcResult), nameof(name), $"'{name}'",
            $"one of {string.Join(", ", Parameters.Select(p => p.Name))}");

    /// <summary>One line per parameter: name, chi-square, p-value and the bin counts.</summary>
    public override string ToString() =>
        $"SBC of {Method} on {Model}: N = {Options.Replications}, L = {Options.Draws}, thinning {Options.Thinning}, {Options.Bins} bins, " +
        $"{Elapsed.TotalSeconds:F1} s" + string.Concat(Parameters.Select(p =>
            $"{Environment.NewLine}  {p.Name}: X^2 = {p.ChiSquare:F1}, p = {p.PValue:G3}, bins [{string.Join(" ", p.BinCounts)}]"));
}
