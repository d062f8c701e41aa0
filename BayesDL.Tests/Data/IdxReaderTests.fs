module BayesDL.Tests.Data.IdxReaderTests

open System
open System.IO
open System.IO.Compression
open Xunit
open TorchSharp
open BayesDL.Data
open BayesDL.Tests.TestSupport
open BayesDL.Validation

let private dataDir = Path.Combine(repoRoot, "data")

let private header (magic: byte[]) (dims: int list) =
    [| yield! magic
       for d in dims do yield! BitConverter.GetBytes(d) |> Array.rev |]

let private writeIdx (path: string) (bytes: byte[]) = File.WriteAllBytes(path, bytes)

/// Gzips `source` into `target`.
let private gzip (source: string) (target: string) =
    use out = new GZipStream(File.Create target, CompressionLevel.Optimal)
    out.Write(File.ReadAllBytes source)

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
let ``a file holding fewer records than its header promises is refused at Open, plain or gzipped`` () =
    use dir = new TempDir()
    let path = dir.File "images.idx"
    writeIdx path (Array.append (header [| 0uy; 0uy; 8uy; 3uy |] [ 2; 28; 28 ]) (Array.zeroCreate 1000))
    let gz = dir.File "images.idx.gz"
    gzip path gz
    for file, found in [ path, "1016 bytes (a truncated file"; gz, "a trailer recording 1016 bytes (a truncated file" ] do
        let e = Assert.Throws<FileFormatException>(fun () -> IdxReader.Open(file, 3) |> ignore)
        Assert.Equal(file, e.Path)
        Assert.Contains("2 records of 784 bytes", e.Expected)
        Assert.Contains(found, e.Found)

[<Fact>]
let ``a wrong magic number is an error that shows it`` () =
    use dir = new TempDir()
    let path = dir.File "bad.idx"
    writeIdx path [| 1uy; 2uy; 8uy; 1uy; 0uy; 0uy; 0uy; 0uy |]
    let e = Assert.Throws<FileFormatException>(fun () -> IdxReader.Open(path) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Contains("wrong magic number 01020801", e.Found)
    Assert.Contains("00 00 <type> <rank>", e.Expected)

[<Fact>]
let ``a header cut short is reported as truncated`` () =
    use dir = new TempDir()
    let path = dir.File "short.idx"
    writeIdx path [| 0uy; 0uy; 8uy; 3uy; 0uy |]
    let e = Assert.Throws<FileFormatException>(fun () -> IdxReader.Open(path) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Contains("ends inside the header", e.Found)

[<Fact>]
let ``image and label counts that differ are an error naming both counts`` () =
    engine ()
    use dir = new TempDir()
    let images = dir.File "images.idx"
    let labels = dir.File "labels.idx"
    writeIdx images (Array.append (header [| 0uy; 0uy; 8uy; 3uy |] [ 2; 2; 2 ]) (Array.zeroCreate 8))
    writeIdx labels (Array.append (header [| 0uy; 0uy; 8uy; 1uy |] [ 3 ]) [| 1uy; 2uy; 3uy |])
    let e = Assert.Throws<FileFormatException>(fun () -> Mnist.Load(images, labels, cpu64) |> ignore)
    Assert.Equal(labels, e.Path)
    Assert.Contains("2 images", e.Message)
    Assert.Contains("3 labels", e.Message)

/// 3 images of 2x2 and their labels, plain; returns both paths.
let private tinyPair (dir: TempDir) =
    let images, labels = dir.File "images.idx", dir.File "labels.idx"
    writeIdx images (Array.append (header [| 0uy; 0uy; 8uy; 3uy |] [ 3; 2; 2 ]) (Array.init 12 byte))
    writeIdx labels (Array.append (header [| 0uy; 0uy; 8uy; 1uy |] [ 3 ]) [| 0uy; 1uy; 2uy |])
    images, labels

[<Theory>]
[<InlineData(false)>]
[<InlineData(true)>]
let ``a header claiming more records than the file can hold is refused at Open, before anything is allocated`` (compressed: bool) =
    use dir = new TempDir()
    let plain = dir.File "absurd.idx"
    // int.MaxValue images of 28x28: 1.7e12 bytes promised by a file of a few dozen bytes.
    writeIdx plain (Array.append (header [| 0uy; 0uy; 8uy; 3uy |] [ Int32.MaxValue; 28; 28 ]) (Array.zeroCreate 16))
    let path = if compressed then (let gz = dir.File "absurd.idx.gz" in gzip plain gz; gz) else plain
    let e = Assert.Throws<FileFormatException>(fun () -> IdxReader.Open(path, 3) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Contains(sprintf "%d records of 784 bytes" Int32.MaxValue, e.Message)
    // Through the loader too: no OverflowException, no attempt at a 1.7 TB array.
    let labels = dir.File "labels.idx"
    writeIdx labels (Array.append (header [| 0uy; 0uy; 8uy; 1uy |] [ Int32.MaxValue ]) [| 1uy |])
    Assert.Throws<FileFormatException>(fun () -> Mnist.Load(path, labels, cpu64) |> ignore) |> ignore

[<Fact>]
let ``record sizes whose product overflows are refused naming them`` () =
    use dir = new TempDir()
    let path = dir.File "huge-record.idx"
    writeIdx path (Array.append (header [| 0uy; 0uy; 8uy; 3uy |] [ 1; 65536; 65536 ]) [| 0uy |])
    let e = Assert.Throws<FileFormatException>(fun () -> IdxReader.Open(path) |> ignore)
    Assert.Contains("65536 x 65536", e.Found)

[<Fact>]
let ``a plain file with bytes after the promised records is refused`` () =
    use dir = new TempDir()
    let images, labels = tinyPair dir
    File.AppendAllText(labels, "x")
    let e = Assert.Throws<FileFormatException>(fun () -> Mnist.Load(images, labels, cpu64) |> ignore)
    Assert.Equal(labels, e.Path)
    Assert.Contains("bytes after the data", e.Found)

[<Fact>]
let ``gzip garbage, a flipped bit and a cut-off gzip file are errors naming the file instead of unsupported compression method`` () =
    engine ()
    use dir = new TempDir()
    let images, labels = tinyPair dir
    let gzImages = dir.File "images.idx.gz"
    gzip images gzImages
    let bytes = File.ReadAllBytes gzImages
    let variant (name: string) (content: byte[]) =
        let path = dir.File name
        File.WriteAllBytes(path, content)
        path
    let garbage = variant "garbage.gz" (Array.append [| 0x1fuy; 0x8buy |] (Array.init 60 (fun i -> byte (i * 37))))
    let flipped = variant "flipped.gz" (bytes |> Array.mapi (fun i b -> if i = bytes.Length - 6 then b ^^^ 1uy else b))
    let cut = variant "cut.gz" bytes[.. bytes.Length / 2]
    for path, found in [ garbage, "corrupt compressed data"; flipped, "corrupt compressed data"; cut, "" ] do
        let e = Assert.Throws<FileFormatException>(fun () -> Mnist.Load(path, labels, cpu64) |> ignore)
        Assert.Equal(path, e.Path)
        Assert.Contains(found, e.Found)
        Assert.DoesNotContain("unsupported compression method", e.Message)
    // The intact file loads.
    use data = Mnist.Load(gzImages, labels, cpu64)
    Assert.Equal(3L, data.Count)

/// Every truncation of a valid file, plain or gzipped, is refused with a FileFormatException naming the file, including
/// a gzip file cut after its last data byte (caught by the trailer's recorded size): never another exception or a silent load.
[<Fact>]
let ``every truncation of an IDX file is a FileFormatException naming it`` () =
    engine ()
    use dir = new TempDir()
    let images, labels = tinyPair dir
    let gzImages = dir.File "images.idx.gz"
    gzip images gzImages
    use reference = Mnist.Load(images, labels, cpu64)
    for source in [ images; gzImages ] do
        let bytes = File.ReadAllBytes source
        for keep in 0 .. bytes.Length - 1 do
            let path = dir.File(sprintf "cut-%d%s" keep (Path.GetExtension source))
            File.WriteAllBytes(path, bytes[.. keep - 1])
            let e = Assert.Throws<FileFormatException>(fun () -> Mnist.Load(path, labels, cpu64) |> ignore)
            Assert.Equal(path, e.Path)
    // The intact files load the same data.
    use fromGzip = Mnist.Load(gzImages, labels, cpu64)
    Assert.True(fromGzip.Inputs.eq(reference.Inputs).all().item<bool>())
