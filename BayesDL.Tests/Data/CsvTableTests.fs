module BayesDL.Tests.Data.CsvTableTests

open System
open System.IO
open Xunit
open BayesDL.Data
open BayesDL.Tests.TestSupport
open BayesDL.Validation

[<Fact>]
let ``a CSV with a header splits into inputs and the last-column target`` () =
    engine ()
    use dir = new TempDir()
    let path = dir.File "t.csv"
    File.WriteAllText(path, "a,b,y\n1,2,3\n4,5.5,-6e-1\n")
    use data = CsvTable.Load(path, policy = cpu64)
    Assert.Equal<int64[]>([| 2L; 2L |], data.Inputs.shape)
    Assert.Equal<float[]>([| 1.0; 2.0; 4.0; 5.5 |], values data.Inputs)
    Assert.Equal<float[]>([| 3.0; -0.6 |], values data.Targets)

[<Fact>]
let ``chosen target columns are taken out of the inputs`` () =
    engine ()
    use dir = new TempDir()
    let path = dir.File "t.csv"
    File.WriteAllText(path, "1,2,3\n4,5,6\n")
    use data = CsvTable.Load(path, [| 0 |], hasHeader = false, policy = cpu64)
    Assert.Equal<float[]>([| 2.0; 3.0; 5.0; 6.0 |], values data.Inputs)
    Assert.Equal<float[]>([| 1.0; 4.0 |], values data.Targets)

[<Fact>]
let ``a ragged row is an error naming the line`` () =
    use dir = new TempDir()
    let path = dir.File "t.csv"
    File.WriteAllText(path, "a,b\n1,2\n3\n")
    let e = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(path) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Contains("1 columns at line 3", e.Found)
    Assert.Contains("2 columns", e.Expected)

[<Fact>]
let ``a table whose only column is the default target is an error: no input column is left`` () =
    // Found by the fuzz suite: a file cut after the first cell of its first data row loaded as a table with zero inputs.
    use dir = new TempDir()
    let path = dir.File "t.csv"
    File.WriteAllText(path, "x1,x2,x3,y\n-12\n")
    let e = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(path) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Contains("at least two columns", e.Expected)
    Assert.Contains("1 column(s) in the first data row (line 2)", e.Found)

[<Fact>]
let ``a cell that is not a number is an error naming line and column`` () =
    use dir = new TempDir()
    let path = dir.File "t.csv"
    File.WriteAllText(path, "a,b\n1,x\n")
    let e = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(path) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Contains("\"x\"", e.Found)
    Assert.Contains("line 2, column 2", e.Message)

/// A CSV whose second data row (line 3) holds `cell` in its second column.
let private withCell (dir: TempDir) (cell: string) =
    let path = dir.File "cells.csv"
    File.WriteAllText(path, sprintf "a,b,y\n1,2,3\n4,%s,6\n" cell)
    path

[<Theory>]
[<InlineData("NaN", "not a number")>]
[<InlineData("nan", "not a number")>]
[<InlineData("Infinity", "an infinity")>]
[<InlineData("-Infinity", "an infinity")>]
[<InlineData("1e400", "beyond the range of a double")>]
[<InlineData("-2.5e308", "beyond the range of a double")>]
[<InlineData("", "an empty cell")>]
let ``NaN, infinities, numbers that overflow to infinity and empty cells are refused naming file, line and column`` (cell: string,
                                                                                                                     what: string) =
    use dir = new TempDir()
    let path = withCell dir cell
    let e = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(path) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Contains("line 3, column 2", e.Found)
    Assert.Contains(what, e.Found)
    Assert.Contains("finite number", e.Expected)
    Assert.StartsWith(path + ": expected", e.Message)

[<Fact>]
let ``allowMissing reads empty cells and NaN as missing values but still refuses infinities`` () =
    engine ()
    use dir = new TempDir()
    let path = dir.File "gaps.csv"
    File.WriteAllText(path, "a,b,y\n1,,3\nNaN,5,6\n")
    use data = CsvTable.Load(path, policy = cpu64, allowMissing = true)
    let x = values data.Inputs
    Assert.Equal(1.0, x[0])
    Assert.True(Double.IsNaN x[1])
    Assert.True(Double.IsNaN x[2])
    Assert.Equal(5.0, x[3])
    Assert.Equal<float[]>([| 3.0; 6.0 |], values data.Targets)
    // The same file without the option is refused at its first gap.
    let strict = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(path, policy = cpu64) |> ignore)
    Assert.Contains("line 2, column 2", strict.Found)
    let infinite = withCell dir "1e999"
    let e = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(infinite, policy = cpu64, allowMissing = true) |> ignore)
    Assert.Contains("line 3, column 2", e.Found)
    Assert.Contains("missing value", e.Expected)

[<Fact>]
let ``a missing file and a file without data rows are errors naming the file`` () =
    use dir = new TempDir()
    let missing = dir.File "missing.csv"
    let e = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(missing) |> ignore)
    Assert.Equal(missing, e.Path)
    Assert.Contains("no file", e.Found)
    let headerOnly = dir.File "header.csv"
    File.WriteAllText(headerOnly, "a,b,y\n\n")
    let e2 = Assert.Throws<FileFormatException>(fun () -> CsvTable.Load(headerOnly) |> ignore)
    Assert.Equal(headerOnly, e2.Path)
    Assert.Contains("at least one data row", e2.Expected)
