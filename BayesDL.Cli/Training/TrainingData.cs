using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Cli.Training;

/// <summary>
/// The training data of <c>bayesdl train</c>, read with the core's loaders: an IDX pair (<c>--images</c>, <c>--labels</c>;
/// pixels / 255, integer classes) or a CSV table (<c>--csv</c>) whose column <c>--target</c> (a header name or a 0-based
/// index) is the target and every other column an input: class indices for classification, numbers for regression
/// (targets [N, 1]). CSV tables are standardised unless the caller says not to (<c>--no-standardize</c>): every input column, and
/// a regression target, shifted and scaled by the training rows' mean and standard deviation (<see cref="Standardization"/>; the
/// protocol of Hernández-Lobato &amp; Adams 2015), so that columns of very different scales train alike; a classifier's class
/// indices stay as they are (target mean 0, scale 1). The model file keeps the statistics so that <c>predict</c> and
/// <c>evaluate</c> map new rows forward and predictions back. IDX images are pixels / 255 and never standardised. Bad files are
/// <see cref="InputException"/>s naming the option and the file.
/// </summary>
internal static class TrainingData
{
    /// <summary>
    /// The rows (a CSV table's standardised when <paramref name="standardize"/>), whether they are a classification task, and the
    /// standardisation (null when none was applied).
    /// </summary>
    public static (LabeledData Data, bool Classification, Standardization? Scaling) Load(string? images, string? labels, string? csv,
        string? target, string? task, bool header, bool standardize, ComputePolicy policy, string? splits = null, int? split = null)
    {
        if (csv is not null && (images is not null || labels is not null))
            throw new InputException($"--csv {csv} and --images/--labels both given: train on one data set, an IDX pair or a CSV table.");
        if (csv is null)
        {
            if (images is null || labels is null)
                throw new InputException("no training data: give an IDX pair (--images FILE --labels FILE) or a CSV table (--csv FILE " +
                                         "--target COLUMN).");
            if (target is not null) throw new InputException($"--target {target}: applies to --csv data; IDX labels are the targets.");
            if (splits is not null || split is not null)
                throw new InputException("--splits/--split: select rows of a --csv table; train on an IDX pair as a whole.");
            if (task == "regression")
                throw new InputException("--task regression: IDX labels are classes; give regression data as --csv FILE --target COLUMN.");
            try
            {
                return (Mnist.Load(images, labels, policy), true, null);
            }
            catch (FileFormatException e)
            {
                throw new InputException($"{(e.Path == labels ? "--labels" : "--images")} {e.Message}");
            }
        }
        if (target is null)
            throw new InputException($"--target is missing: name the CSV's target column, e.g. --target price (or its 0-based index).");
        if (task is null)
            throw new InputException("--task is missing: CSV targets are classes (--task classification) or numbers (--task regression).");
        int column = Column(csv, target, header);
        LabeledData table;
        try
        {
            table = CsvTable.Load(csv, [column], hasHeader: header, policy: policy);
        }
        catch (FileFormatException e)
        {
            throw new InputException($"--csv {e.Message}");
        }
        // One split's training rows, before the standardisation: only they set the means and sds.
        table = SplitSelection.Select(table, splits, split, test: false);
        if (task == "regression") return standardize ? Standardized(table, classification: false) : (table, false, null);
        LabeledData classes;
        using (table)
        {
            using var scope = NewDisposeScope();
            Tensor values = table.Targets.squeeze(1);
            Tensor whole = values.round();
            Tensor bad = values.ne(whole).logical_or(values.lt(0));
            if (bad.any().item<bool>())
            {
                double value = values[bad.nonzero()[0][0]].to(ScalarType.Float64).item<double>();
                throw new InputException($"--target {target}: value {value} of {csv} is not a class index; classification targets " +
                                         "are whole numbers 0, 1, ..., C - 1 (or use --task regression).");
            }
            classes = new LabeledData(table.Inputs.clone().MoveToOuterDisposeScope(),
                whole.to(ScalarType.Int64).MoveToOuterDisposeScope());
        }
        return standardize ? Standardized(classes, classification: true) : (classes, true, null);
    }

    /// <summary>
    /// The table standardised by its own rows' statistics (all of them are training rows), and the statistics. A classifier's
    /// targets are fitted as zeros, so the target's mean is 0 and its scale 1 (a constant column's): class indices stay unchanged.
    /// </summary>
    static (LabeledData, bool, Standardization) Standardized(LabeledData table, bool classification)
    {
        using (table)
        {
            int n = (int)table.Count, d = (int)table.Inputs.shape[1];
            double[] x = table.Inputs.to(ScalarType.Float64).cpu().data<double>().ToArray();
            double[] y = classification ? new double[n] : table.Targets.to(ScalarType.Float64).cpu().data<double>().ToArray();
            var rows = Enumerable.Range(0, n).Select(i => x.AsSpan(i * d, d).ToArray()).ToArray();
            var scaling = Standardization.Fit(rows, y, Enumerable.Range(0, n).ToArray());
            Tensor targets = classification ? table.Targets.clone() : scaling.Targets(table.Targets);
            return (new LabeledData(scaling.Inputs(table.Inputs), targets), classification, scaling);
        }
    }

    /// <summary>The 0-based index of <paramref name="target"/>: a header name (case-sensitive, then any case) or a number.</summary>
    internal static int Column(string csv, string target, bool header)
    {
        string? first;
        try { first = File.ReadLines(csv).FirstOrDefault(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"--csv {csv}: {e.Message}");
        }
        if (first is null) throw new InputException($"--csv {csv}: the file is empty; expected a header row and data rows.");
        string[] names = first.Split(',').Select(n => n.Trim().Trim('"')).ToArray();
        if (header)
        {
            int exact = Array.IndexOf(names, target);
            if (exact >= 0) return exact;
            int loose = Array.FindIndex(names, n => string.Equals(n, target, StringComparison.OrdinalIgnoreCase));
            if (loose >= 0) return loose;
        }
        if (int.TryParse(target, out int index) && index >= 0 && index < names.Length) return index;
        throw new InputException($"--target {target}: no such column in {csv}; " + (header
            ? $"its columns are {string.Join(", ", names)}" +
              (OptionCatalog.Nearest(target, names) is { } near ? $" (did you mean '{near}'?)" : "") + "."
            : $"expected a 0-based column index below {names.Length}."));
    }
}
