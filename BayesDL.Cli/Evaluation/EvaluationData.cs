using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Models;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Cli.Evaluation;

/// <summary>
/// Labelled images for <c>bayesdl evaluate</c>, read with the core's loaders and shaped for a network: IDX files (plain or
/// gzipped, <see cref="Mnist.Load"/>: pixels / 255) or CSV (<see cref="CsvTable"/>: values as written, one row per image;
/// labels in their own one-column file, or in the last column of the images file when no labels file is given).
/// </summary>
internal static class EvaluationData
{
    /// <summary>Loads the data and checks it against what <paramref name="input"/> (the model's first weight layer) takes.</summary>
    public static LabeledData Load(string images, string? labels, bool csvHeader, NetworkInput input, ComputePolicy policy)
    {
        bool csv = IsCsv(images);
        if (!csv && labels is null)
            throw new InputException($"--labels is missing: the IDX images {images} need an IDX labels file (--labels FILE).");
        LabeledData data = csv ? LoadCsv(images, labels, csvHeader, policy) : LoadIdx(images, labels!, policy);
        try
        {
            return Shape(data, images, input);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Unlabelled inputs for <c>bayesdl predict</c> (named by <paramref name="option"/> in messages): IDX images (pixels / 255) or
    /// CSV rows (every column an input), shaped and checked against <paramref name="input"/> as <see cref="Load"/> does.
    /// </summary>
    public static Tensor LoadInputs(string path, string option, bool csvHeader, NetworkInput input, ComputePolicy policy)
    {
        LabeledData data;
        try
        {
            if (IsCsv(path))
            {
                using var table = CsvTable.Load(path, targetColumns: [], hasHeader: csvHeader, policy: policy);
                data = new LabeledData(table.Inputs.clone(), zeros(table.Count, dtype: ScalarType.Int64));
            }
            else
            {
                using var reader = IdxReader.Open(path, expectedRank: 3);
                var pixels = new byte[checked((long)reader.Count * reader.RecordLength)];
                reader.ReadRecords(pixels, reader.Count);
                using var scope = NewDisposeScope();
                Tensor x = tensor(pixels, [reader.Count, reader.RecordLength]).to(policy.Dtype).div_(255.0).to(policy.Device);
                data = new LabeledData(x.MoveToOuterDisposeScope(), zeros(reader.Count, dtype: ScalarType.Int64).MoveToOuterDisposeScope());
            }
        }
        catch (FileFormatException e)
        {
            throw new InputException($"{option} {e.Message}");
        }
        catch (OverflowException)
        {
            throw new InputException($"{option} {path}: more pixels than one array holds; split the file.");
        }
        try
        {
            // Shape returns the same rows, or new ones when it reshapes them for a convolution (then data is disposed already).
            using var shaped = Shape(data, path, input, option);
            return shaped.Inputs.clone();
        }
        finally
        {
            data.Dispose();
        }
    }

    /// <summary>
    /// A table for <c>evaluate --csv FILE --target COLUMN</c>: the column <paramref name="target"/> (a header name or a 0-based index)
    /// holds class indices (<paramref name="classes"/>: int64 [N]) or regression targets ([N, 1] as written), every other column an
    /// input, checked against <paramref name="input"/>.
    /// </summary>
    public static LabeledData LoadTable(string csv, string target, bool header, bool classes, NetworkInput input, ComputePolicy policy,
        string? splits = null, int? split = null)
    {
        int column = Training.TrainingData.Column(csv, target, header);
        LabeledData table;
        try
        {
            table = CsvTable.Load(csv, [column], hasHeader: header, policy: policy);
        }
        catch (FileFormatException e)
        {
            throw new InputException($"--csv {e.Message}");
        }
        table = Training.SplitSelection.Select(table, splits, split, test: true);
        LabeledData data = table;
        if (classes)
            using (table)
                data = new LabeledData(table.Inputs.clone(), Classes(table.Targets.squeeze(1), $"--csv {csv} (column {target})"));
        try
        {
            return Shape(data, csv, input, "--csv");
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    static bool IsCsv(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    static LabeledData LoadIdx(string images, string labels, ComputePolicy policy)
    {
        try
        {
            return Mnist.Load(images, labels, policy);
        }
        catch (FileFormatException e)
        {
            throw Named(e, images, labels);
        }
    }

    static LabeledData LoadCsv(string images, string? labels, bool header, ComputePolicy policy)
    {
        try
        {
            if (labels is null)
            {
                // One file: the last column holds the class.
                using var table = CsvTable.Load(images, hasHeader: header, policy: policy);
                return new LabeledData(table.Inputs.clone(), Classes(table.Targets.squeeze(1), $"--images {images} (last column)"));
            }
            using var x = CsvTable.Load(images, targetColumns: [], hasHeader: header, policy: policy);
            using var y = CsvTable.Load(labels, targetColumns: [0], hasHeader: header, policy: policy);
            if (y.Inputs.shape[1] != 0)
                throw new InputException($"--labels {labels}: {y.Inputs.shape[1] + 1} columns; expected one column of class indices.");
            if (x.Count != y.Count)
                throw new InputException($"--images {images} holds {x.Count} rows but --labels {labels} holds {y.Count}; they must match.");
            return new LabeledData(x.Inputs.clone(), Classes(y.Targets.squeeze(1), $"--labels {labels}"));
        }
        catch (FileFormatException e)
        {
            throw Named(e, images, labels);
        }
    }

    /// <summary>
    /// A file error from the core's readers, prefixed with the option that named the file (its message starts with the path).
    /// </summary>
    static InputException Named(FileFormatException e, string images, string? labels) =>
        new($"{(labels is not null && e.Path == labels ? "--labels" : "--images")} {e.Message}");

    /// <summary>Whole, non-negative class indices as int64.</summary>
    static Tensor Classes(Tensor values, string source)
    {
        using var scope = NewDisposeScope();
        Tensor whole = values.round();
        Tensor bad = values.ne(whole).logical_or(values.lt(0));
        if (bad.any().item<bool>())
            throw new InputException($"{source}: label {values[bad.nonzero()[0][0]].to(ScalarType.Float64).item<double>()} " +
                                     "is not a class index; expected whole numbers 0, 1, ..., C - 1.");
        return whole.to(ScalarType.Int64).MoveToOuterDisposeScope();
    }

    /// <summary>Flat rows for a dense first layer; [N, 1, rows, cols] for a convolution over single-channel IDX images.</summary>
    static LabeledData Shape(LabeledData data, string images, NetworkInput input, string option = "--images")
    {
        long features = data.Inputs.shape[1];
        if (!input.IsConvolutional)
        {
            if (features != input.Size)
                throw new InputException($"{option} {images}: each image has {features} values but the model's first layer takes " +
                                         $"{input.Size} inputs; give images of {input.Size} values (the data the model was trained on).");
            return data;
        }
        if (IsCsv(images))
            throw new InputException($"{option} {images}: the model starts with a convolution, which needs the image height and width; " +
                                     "give the images as an IDX file (its header holds them).");
        if (input.Size != 1)
            throw new InputException($"{option} {images}: single-channel images, but the model's first convolution takes {input.Size} " +
                                     "channels.");
        int[] dims;
        using (var reader = IdxReader.Open(images, expectedRank: 3)) dims = reader.Dimensions;
        var shaped = new LabeledData(data.Inputs.reshape(data.Count, 1, dims[1], dims[2]).clone(), data.Targets.clone());
        data.Dispose();
        return shaped;
    }
}
