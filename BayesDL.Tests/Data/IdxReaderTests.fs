module BayesDL.Tests.Data.IdxReaderTests

open System
open System.IO
open System.IO.Compression
open Xunit
open TorchSharp
open BayesDL.Data
open BayesDL.Tests.TestSupport

let private dataDir = Path.Combine(repoRoot, "data")

let private header (magic: byte[]) (dims: int list) =
    [| yield! magic
       for d in dims do yield! BitConverter.GetBytes(d) |> Array.rev |]

let private writeIdx (path: string) (bytes: byte[]) = File.WriteAllBytes(path, bytes)

[<Fact>]
let ``the bundled subset has 8,000 and 2,000 digits with the documented class counts`` () =
    engine ()
    use train = Mnist.LoadSubset("train", dataDir, cpu64)
    use test = Mnist.LoadSubset("test", dataDir, cpu64)
    Assert.Equal<int64[]>([| 8000L; 784L |], train.Inputs.shape)
    Assert.Equal<int64[]>([| 2000L; 784L |], test.Inputs.shape)
    let counts (d: LabeledData) = values (d.Targets.bincount(null, minlength = 10L)) |> Array.map int
    Assert.Equal<int[]>([| 787; 915; 789; 813; 814; 668; 791; 880; 762; 781 |], counts train)
    Assert.Equal<int[]>([| 214; 212; 202; 219; 166; 195; 223; 190; 182; 197 |], counts test)
    Assert.Equal(0.0, scalar (train.Inputs.min()))
    Assert.Equal(1.0, scalar (train.Inputs.max()))

[<Fact>]
let ``gzipped and plain files read the same`` () =
    engine ()
    use dir = new TempDir()
    let plain (name: string) =
        let target = dir.File(name.Replace(".gz", ""))
        use source = new GZipStream(File.OpenRead(Path.Combine(dataDir, name)), CompressionMode.Decompress)
        use out = File.Create target
        source.CopyTo out
        target
    let images = plain (Mnist.SubsetFile("test", "images-idx3"))
    let labels = plain (Mnist.SubsetFile("test", "labels-idx1"))
    use a = Mnist.Load(images, labels, cpu64)
    use b = Mnist.LoadSubset("test", dataDir, cpu64)
    Assert.True(a.Inputs.eq(b.Inputs).all().item<bool>())
    Assert.True(a.Targets.eq(b.Targets).all().item<bool>())

[<Fact>]
let ``records stream one at a time`` () =
    use dir = new TempDir()
    let path = dir.File "labels.idx"
    writeIdx path (Array.append (header [| 0uy; 0uy; 8uy; 1uy |] [ 3 ]) [| 7uy; 8uy; 9uy |])
    use reader = IdxReader.Open(path, 1)
    Assert.Equal<byte list>([ 7uy; 8uy; 9uy ], reader.Records() |> Seq.map (fun r -> r[0]) |> List.ofSeq)

[<Fact>]
let ``a truncated file is an error that says so`` () =
    use dir = new TempDir()
    let path = dir.File "images.idx"
    writeIdx path (Array.append (header [| 0uy; 0uy; 8uy; 3uy |] [ 2; 28; 28 ]) (Array.zeroCreate 1000))
    use reader = IdxReader.Open(path, 3)
    let buffer = Array.zeroCreate<byte> (2 * 784)
    let e = Assert.Throws<InvalidDataException>(fun () -> reader.ReadRecords(Span buffer, 2))
    Assert.Contains("truncated", e.Message)
    Assert.Contains("2 records", e.Message)

[<Fact>]
let ``a wrong magic number is an error that shows it`` () =
    use dir = new TempDir()
    let path = dir.File "bad.idx"
    writeIdx path [| 1uy; 2uy; 8uy; 1uy; 0uy; 0uy; 0uy; 0uy |]
    let e = Assert.Throws<InvalidDataException>(fun () -> IdxReader.Open(path) |> ignore)
    Assert.Contains("wrong magic number 01020801", e.Message)

[<Fact>]
let ``a header cut short is reported as truncated`` () =
    use dir = new TempDir()
    let path = dir.File "short.idx"
    writeIdx path [| 0uy; 0uy; 8uy; 3uy; 0uy |]
    let e = Assert.Throws<InvalidDataException>(fun () -> IdxReader.Open(path) |> ignore)
    Assert.Contains("ends inside the header", e.Message)

[<Fact>]
let ``image and label counts that differ are an error naming both counts`` () =
    engine ()
    use dir = new TempDir()
    let images = dir.File "images.idx"
    let labels = dir.File "labels.idx"
    writeIdx images (Array.append (header [| 0uy; 0uy; 8uy; 3uy |] [ 2; 2; 2 ]) (Array.zeroCreate 8))
    writeIdx labels (Array.append (header [| 0uy; 0uy; 8uy; 1uy |] [ 3 ]) [| 1uy; 2uy; 3uy |])
    let e = Assert.Throws<InvalidDataException>(fun () -> Mnist.Load(images, labels, cpu64) |> ignore)
    Assert.Contains("2 images", e.Message)
    Assert.Contains("3 labels", e.Message)
