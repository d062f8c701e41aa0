using System.Globalization;
using BayesDL.Data;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Cli.Training;

/// <summary>
/// <c>--splits FILE --split K</c> of <c>train</c> and <c>evaluate</c>: one train/test split of a table in the UCI benchmark's
/// layout (<see cref="RegressionSplits"/>: a JSON file of test rows per split, indices into the CSV's data rows). <c>train</c>
/// keeps split K's training rows and <c>evaluate</c> its test rows, so a model is trained and scored on one split of the
/// published protocol without cutting the table by hand; the training rows alone then set the standardisation.
/// </summary>
internal static class SplitSelection
{
    /// <summary>
    /// The rows of <paramref name="table"/> (a CSV table) in split <paramref name="split"/>'s training or
    /// test part, or <paramref name="table"/> itself when neither option is given. Takes ownership: a table it does not return,
    /// it disposes (also when it throws). A splits file that does not fit the table, or a split index out of range, is an
    /// <see cref="InputException"/> naming the option.
    /// </summary>
    public static LabeledData Select(LabeledData table, string? splitsPath, int? split, bool test)
    {
        if (splitsPath is null && split is null) return table;
        using (table) return Rows(table, splitsPath, split, test);
    }

    static LabeledData Rows(LabeledData table, string? splitsPath, int? split, bool test)
    {
        if (splitsPath is null)
            throw new InputException($"--split {split}: give the splits file with --splits FILE (e.g. data/uci/yacht.splits.json).");
        if (split is not int k)
            throw new InputException($"--splits {splitsPath}: name the split with --split K (0-based, e.g. --split 0).");
        RegressionSplits splits;
        try
        {
            splits = RegressionSplits.Load(splitsPath, (int)table.Count);
        }
        catch (FileFormatException e)
        {
            throw new InputException($"--splits {e.Message}");
        }
        if (k < 0 || k >= splits.Count)
            throw new InputException($"--split {k.ToString(CultureInfo.InvariantCulture)}: {splitsPath} has {splits.Count} splits; " +
                                     $"expected an index in [0, {splits.Count - 1}].");
        int[] rows = test ? splits.Test(k) : splits.Train(k);
        using var index = tensor(rows.Select(r => (long)r).ToArray(), device: table.Inputs.device);
        return new LabeledData(table.Inputs.index_select(0, index), table.Targets.index_select(0, index));
    }
}
