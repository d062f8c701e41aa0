using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// The memory a Laplace Hessian takes, estimated from the layer sizes before any tensor is made (float64, 8 bytes a number, with the
/// decompositions a posterior keeps beside H): for D subset weights, Diagonal 3 D, Kron sum over layers of 3 (out^2 + width^2) +
/// out width, LowRank 4 (k + 10) D, Full 4 D^2 (H, its Cholesky factor, the covariance and a temporary). A structure over the budget
/// (<see cref="LaplaceOptions.MemoryBudgetBytes"/>; by default <see cref="DefaultBudget"/>) is refused by
/// <see cref="LaplacePosterior.Fit"/> with an error naming the largest layer, the bytes needed and a cheaper structure that fits.
/// </summary>
public static class LaplaceMemory
{
    const long Float64 = 8;

    /// <summary>Half the memory the runtime reports available (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes: physical memory, or
    /// the container's limit).</summary>
    public static long DefaultBudget => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

    /// <summary>The bytes the Hessian of <paramref name="options"/>' structure and subset takes for <paramref name="network"/>.</summary>
    public static long Estimate(nn.Module network, IReadOnlyList<long> inputShape, LaplaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Bytes(LaplaceNetwork.Read(network, inputShape, options.Subset).Blocks, options.Hessian, options.Rank);
    }

    internal static long Bytes(IReadOnlyList<DenseBlock> blocks, HessianStructure structure, int rank)
    {
        double d = blocks.Sum(b => (double)b.Count);
        double numbers = structure switch
        {
            HessianStructure.Diagonal => 3 * d,
            HessianStructure.Kron => blocks.Sum(b => 3.0 * ((double)b.Out * b.Out + (double)b.Width * b.Width) + (double)b.Out * b.Width),
            HessianStructure.LowRank => 4 * Math.Min(rank + 10, d) * d,
            _ => 4 * d * d,
        };
        return numbers * Float64 >= long.MaxValue ? long.MaxValue : (long)(numbers * Float64);
    }

    /// <summary>Throws when the structure would not fit <paramref name="budget"/>, naming the largest layer and a cheaper
    /// structure.</summary>
    internal static void Require(IReadOnlyList<DenseBlock> blocks, LaplaceOptions options, long budget)
    {
        long needed = Bytes(blocks, options.Hessian, options.Rank);
        if (needed <= budget) return;
        var largest = blocks.MaxBy(b => b.Count)!;
        long alone = Bytes([largest], options.Hessian, options.Rank);
        var cheaper = new[] { HessianStructure.Kron, HessianStructure.LowRank, HessianStructure.Diagonal }
            .Where(s => s != options.Hessian && Bytes(blocks, s, options.Rank) <= budget)
            .Select(s => $"{s} ({Size(Bytes(blocks, s, options.Rank))})")
            .ToList();
        string fix = cheaper.Count > 0
            ? $"Use a cheaper structure: {string.Join(" or ", cheaper)}" +
              (options.Subset == LaplaceSubset.AllWeights ? ", or Subset = LastLayer" : "") + ", or raise MemoryBudgetBytes."
            : "Use Subset = LastLayer, or raise MemoryBudgetBytes.";
        throw Check.Error(nameof(LaplacePosterior), nameof(options.Hessian),
            $"the {options.Hessian} Hessian of {blocks.Sum(b => b.Count)} weights ({options.Subset}), which needs {Size(needed)}; " +
            $"its largest layer, {largest.Description}, needs {Size(alone)} alone",
            $"a structure within the memory budget of {Size(budget)}", fix);
    }

    static string Size(long bytes) =>
        bytes >= 1L << 30
            ? $"{bytes:N0} bytes ({bytes / (double)(1L << 30):F1} GiB)"
            : $"{bytes:N0} bytes ({bytes / (double)(1L << 20):F1} MiB)";
}
