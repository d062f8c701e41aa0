/// RegressionSplits: the bundled UCI splits are valid (disjoint, in range, covering every row), and every kind of bad
/// splits file is a FileFormatException naming the file and the split, list and index at fault.
module BayesDL.Tests.Data.RegressionSplitsTests

open System.IO
open Xunit
open BayesDL.Data
open BayesDL.Validation
open BayesDL.Tests.TestSupport

let private uci = Path.Combine(repoRoot, "data", "uci")

[<Theory>]
[<InlineData("concrete", 1030)>]
[<InlineData("energy", 768)>]
[<InlineData("yacht", 308)>]
[<InlineData("wine-quality-red", 1599)>]
[<InlineData("kin8nm", 8192)>]
let ``the bundled splits are 20 disjoint 90/10 partitions of the rows with indices in range`` (name: string, rows: int) =
    let splits = RegressionSplits.Load(Path.Combine(uci, name + ".splits.json"), rows)
    Assert.Equal(20, splits.Count)
    Assert.Equal(Some name, Option.ofObj splits.Dataset)
    for s in 0 .. splits.Count - 1 do
        let test, train = splits.Test s, splits.Train s
        Assert.All(Array.append test train, fun i -> Assert.InRange(i, 0, rows - 1))
        Assert.Equal(test.Length, Set.count (set test))
        Assert.Empty(Set.intersect (set test) (set train))
        Assert.Equal(rows, test.Length + train.Length)
        Assert.Equal(rows - int (System.Math.Round(0.9 * float rows)), test.Length)

let private write (dir: TempDir) (text: string) =
    let path = dir.File "s.splits.json"
    File.WriteAllText(path, text)
    path

let private refused (text: string) (rows: int) =
    use dir = new TempDir()
    let path = write dir text
    let e = Assert.Throws<FileFormatException>(fun () -> RegressionSplits.Load(path, rows) |> ignore)
    Assert.Equal(path, e.Path)
    e

[<Fact>]
let ``an index beyond the rows is an error naming the split, the index and the valid range`` () =
    let e = refused """{"rows": 5, "splits": [{"test": [0, 1]}, {"test": [2, 5]}]}""" 5
    Assert.Contains("[0, 4]", e.Expected)
    Assert.Contains("split 1", e.Expected)
    Assert.Contains("5 at position 1", e.Found)
    let negative = refused """{"rows": 5, "splits": [{"test": [-1]}]}""" 5
    Assert.Contains("-1 at position 0", negative.Found)
    let fraction = refused """{"rows": 5, "splits": [{"test": [1.5]}]}""" 5
    Assert.Contains("1.5", fraction.Found)

[<Fact>]
let ``a row in both the training and the test list of a split is an error naming the row`` () =
    let e = refused """{"rows": 6, "splits": [{"test": [0, 1], "train": [2, 3, 1]}]}""" 6
    Assert.Contains("both the test and the training list of split 0", e.Expected)
    Assert.Contains("row 1", e.Found)

[<Fact>]
let ``a repeated index, a test list covering every row, a wrong row count or a misspelt key is an error`` () =
    Assert.Contains("row 2 twice", (refused """{"rows": 6, "splits": [{"test": [2, 2]}]}""" 6).Found)
    Assert.Contains("all 3 rows", (refused """{"rows": 3, "splits": [{"test": [0, 1, 2]}]}""" 3).Found)
    let rows = refused """{"rows": 7, "splits": [{"test": [0]}]}""" 6
    Assert.Contains("\"rows\": 6", rows.Expected)
    Assert.Contains("\"rows\": 7", rows.Found)
    Assert.Contains("\"tset\"", (refused """{"rows": 6, "splits": [{"tset": [0]}]}""" 6).Found)
    Assert.Contains("an empty list", (refused """{"rows": 6, "splits": []}""" 6).Found)
    Assert.Contains("not valid JSON", (refused """{"rows": 6, "splits": [{"test": [0]},]}""" 6).Found)
    Assert.Contains("\"rows\" twice", (refused """{"rows": 6, "rows": 6, "splits": [{"test": [0]}]}""" 6).Found)

[<Fact>]
let ``an explicit training list leaves the rows in neither list out, and the default is the complement in ascending order`` () =
    use dir = new TempDir()
    let path = write dir """{"rows": 6, "splits": [{"test": [4, 1], "train": [0, 5]}, {"test": [3]}]}"""
    let splits = RegressionSplits.Load(path, 6)
    Assert.Null(splits.Dataset)
    Assert.Equal<int[]>([| 4; 1 |], splits.Test 0)
    Assert.Equal<int[]>([| 0; 5 |], splits.Train 0)
    Assert.Equal<int[]>([| 0; 1; 2; 4; 5 |], splits.Train 1)
    Assert.Throws<System.ArgumentException>(fun () -> splits.Test 2 |> ignore) |> ignore
    let missing = Assert.Throws<FileFormatException>(fun () -> RegressionSplits.Load(dir.File "none.json", 6) |> ignore)
    Assert.Equal("no file at that path", missing.Found)
