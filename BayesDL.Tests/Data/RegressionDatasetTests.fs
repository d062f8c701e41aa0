/// RegressionDataset: the bundled UCI sets load and verify against their manifest, a split is standardised by its
/// training rows, a user's own CSV in the same layout (any target column) loads with no code change, and bad input
/// (a changed file, a missing target column, a non-numeric cell, splits that do not fit) names the file at fault.
module BayesDL.Tests.Data.RegressionDatasetTests

open System.IO
open Xunit
open BayesDL.Data
open BayesDL.Validation
open BayesDL.Tests.TestSupport

let private uci = Path.Combine(repoRoot, "data", "uci")

[<Theory>]
[<InlineData("concrete", 1030, 8)>]
[<InlineData("energy", 768, 8)>]
[<InlineData("yacht", 308, 6)>]
[<InlineData("wine-quality-red", 1599, 11)>]
[<InlineData("kin8nm", 8192, 8)>]
let ``each bundled data set loads, verified against the manifest's SHA-256 and counts`` (name: string, rows: int, features: int) =
    let data = RegressionDataset.Uci(name, Path.Combine(repoRoot, "data"))
    Assert.Equal(name, data.Name)
    Assert.Equal(rows, data.Count)
    Assert.Equal(features, data.Features)
    Assert.Equal("y", data.TargetName)
    Assert.Equal(20, data.Splits.Count)

[<Fact>]
let ``a split's training tensors have mean 0 and sd 1 per column, its test tensors use the training statistics`` () =
    engine ()
    let data = RegressionDataset.FromFolder(uci, "yacht")
    use split = data.Split(3, cpu64)
    let x, y = split.Train.Inputs, split.Train.Targets
    Assert.Equal<int64[]>([| int64 split.TrainRows.Count; 6L |], x.shape)
    Assert.Equal<int64[]>([| int64 split.TestRows.Count; 1L |], split.Test.Targets.shape)
    for t in [ x; y ] do
        Assert.All(values (t.mean([| 0L |])), fun m -> Assert.True(abs m < 1e-12, sprintf "training mean %g" m))
        Assert.All(values (t.std(0L, unbiased = false)), fun s -> Assert.True(abs (s - 1.0) < 1e-12, sprintf "training sd %g" s))
    // Test targets: the original values of the test rows, and their standardised tensor maps back to them.
    let standardised = values split.Test.Targets
    for i, row in Seq.indexed split.TestRows do
        Assert.Equal(data.Target row, split.TestTargets[i])
        Assert.Equal(data.Target row, split.Scaling.TargetToOriginal standardised[i], 10)
    Assert.Empty(Set.intersect (set split.TrainRows) (set split.TestRows))

/// A copy of the yacht files (CSV, splits, manifest) in a temporary folder, with `edit` applied to the CSV text.
let private yachtCopy (dir: TempDir) (edit: string -> string) =
    for f in [ "yacht.splits.json"; "MANIFEST.json" ] do File.Copy(Path.Combine(uci, f), dir.File f)
    File.WriteAllText(dir.File "yacht.csv", edit (File.ReadAllText(Path.Combine(uci, "yacht.csv"))))

[<Fact>]
let ``a CSV that differs from its manifest's SHA-256 is a FileFormatException naming the CSV`` () =
    use dir = new TempDir()
    // One digit of one value changed: still a valid table, so only the checksum can tell.
    yachtCopy dir (fun text -> let i = text.IndexOf "0.568" in text.Substring(0, i) + "0.569" + text.Substring(i + 5))
    let e = Assert.Throws<FileFormatException>(fun () -> RegressionDataset.FromFolder(dir.Path, "yacht") |> ignore)
    Assert.Equal(dir.File "yacht.csv", e.Path)
    Assert.Contains("SHA-256 2f0cc3b81a71bcce4e70142ebea710305c70ebaa63b3d81ae66eaf07a7caa044", e.Expected)
    Assert.Contains("changed or corrupted", e.Found)
    // Without the manifest the same file is read as it is (a user's own data set).
    File.Delete(dir.File "MANIFEST.json")
    Assert.Equal(308, RegressionDataset.FromFolder(dir.Path, "yacht").Count)

[<Fact>]
let ``a manifest that does not list the data set, or records another row count, names the file at fault`` () =
    use dir = new TempDir()
    yachtCopy dir id
    File.Copy(dir.File "yacht.csv", dir.File "boat.csv")
    File.Copy(dir.File "yacht.splits.json", dir.File "boat.splits.json")
    let e = Assert.Throws<FileFormatException>(fun () -> RegressionDataset.FromFolder(dir.Path, "boat") |> ignore)
    Assert.Equal(dir.File "MANIFEST.json", e.Path)
    Assert.Contains("\"boat\"", e.Expected)
    File.WriteAllText(dir.File "MANIFEST.json", """{"datasets": {"yacht": {"rows": 309}}}""")
    let rows = Assert.Throws<FileFormatException>(fun () -> RegressionDataset.FromFolder(dir.Path, "yacht") |> ignore)
    Assert.Equal(dir.File "yacht.csv", rows.Path)
    Assert.Contains("309 data rows", rows.Expected)

[<Fact>]
let ``a user's CSV with the target in any column and its own splits loads without a manifest`` () =
    engine ()
    use dir = new TempDir()
    File.WriteAllText(dir.File "mine.csv", "a, price ,b\n1,10,2\n2,20,4\n3,30,6\n4,40,8.5\n")
    File.WriteAllText(dir.File "mine.splits.json", """{"rows": 4, "splits": [{"test": [3]}, {"test": [0], "train": [1, 2]}]}""")
    let data = RegressionDataset.Load(dir.File "mine.csv", dir.File "mine.splits.json", target = "price")
    Assert.Equal("price", data.TargetName)
    Assert.Equal<string seq>([ "a"; "b" ], data.FeatureNames)
    use split = data.Split(0, cpu64)
    // Training rows 0..2: target mean 20, population sd sqrt(200/3); the test row's 40 standardised with them.
    Assert.Equal(20.0, split.Scaling.TargetMean, 12)
    Assert.Equal(sqrt (200.0 / 3.0), split.Scaling.TargetScale, 12)
    Assert.Equal((40.0 - 20.0) / sqrt (200.0 / 3.0), scalar split.Test.Targets, 12)
    use other = data.Split(1, cpu64)
    Assert.Equal(2L, other.Train.Count)

[<Fact>]
let ``a missing target column, a non-numeric cell or splits beyond the rows name the file and the place`` () =
    use dir = new TempDir()
    File.WriteAllText(dir.File "t.csv", "x1,x2,y\n1,2,3\n4,5,6\n")
    File.WriteAllText(dir.File "t.splits.json", """{"rows": 2, "splits": [{"test": [1]}]}""")
    let target = Assert.Throws<FileFormatException>(fun () -> RegressionDataset.Load(dir.File "t.csv",
                                                                                     dir.File "t.splits.json", target = "z") |> ignore)
    Assert.Equal(dir.File "t.csv", target.Path)
    Assert.Contains("\"z\"", target.Expected)
    Assert.Contains("\"x1\", \"x2\", \"y\"", target.Found)
    File.WriteAllText(dir.File "bad.csv", "x1,x2,y\n1,2,3\n4,five,6\n")
    let cell = Assert.Throws<FileFormatException>(fun () -> RegressionDataset.Load(dir.File "bad.csv", dir.File "t.splits.json") |> ignore)
    Assert.Equal(dir.File "bad.csv", cell.Path)
    Assert.Contains("line 3, column 2", cell.Found)
    File.WriteAllText(dir.File "big.splits.json", """{"rows": 2, "splits": [{"test": [2]}]}""")
    let index = Assert.Throws<FileFormatException>(fun () -> RegressionDataset.Load(dir.File "t.csv", dir.File "big.splits.json") |> ignore)
    Assert.Equal(dir.File "big.splits.json", index.Path)
    Assert.Contains("2 at position 0", index.Found)
    File.WriteAllText(dir.File "wide.csv", "x1,y\n1,2,3\n")
    let header = Assert.Throws<FileFormatException>(fun () -> RegressionDataset.Load(dir.File "wide.csv",
                                                                                     dir.File "t.splits.json") |> ignore)
    Assert.Contains("2 name(s) on line 1", header.Found)
