module BayesDL.Tests.Data.CsvTableTests

open System.IO
open Xunit
open BayesDL.Data
open BayesDL.Tests.TestSupport

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
    let e = Assert.Throws<InvalidDataException>(fun () -> CsvTable.Load(path) |> ignore)
    Assert.Contains("line 3", e.Message)

[<Fact>]
let ``a cell that is not a number is an error naming line and column`` () =
    use dir = new TempDir()
    let path = dir.File "t.csv"
    File.WriteAllText(path, "a,b\n1,x\n")
    let e = Assert.Throws<InvalidDataException>(fun () -> CsvTable.Load(path) |> ignore)
    Assert.Contains("line 2, column 2", e.Message)
