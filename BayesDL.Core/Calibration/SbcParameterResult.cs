namespace BayesDL.Calibration;

/// <summary>
/// One parameter's outcome of <see cref="Sbc.Run"/>: the rank of the true value among the L posterior draws in every
/// replication, their histogram, and the chi-square test of uniformity.
/// </summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="Ranks">Rank r_n = #{l : theta_l &lt; theta_true} in 0..L per replication n.</param>
/// <param name="BinCounts">Replications per bin, bin b holding ranks b (L + 1) / B .. (b + 1) (L + 1) / B - 1.</param>
/// <param name="ChiSquare">X^2 = sum_b (c_b - N / B)^2 / (N / B).</param>
/// <param name="PValue">P(chi^2_(B-1) &gt;= X^2): small when the ranks are not uniform, i.e. the method is miscalibrated.</param>
public sealed record SbcParameterResult(string Name, int[] Ranks, int[] BinCounts, double ChiSquare, double PValue);
