/// `bayesdl sample`: new images from a VAE trained by `bayesdl train --method vae`, as a PNG grid or IDX, and latent traversals.
module BayesDL.Tests.Cli.SampleCommandTests

open System.IO
open System.IO.Compression
open Xunit
open BayesDL.Cli
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Cli.CliSupport

/// The dimensions and bytes of an IDX file (gzipped when its name ends in .gz).
let private readIdx (path: string) =
    use file = File.OpenRead path
    use stream: Stream = if path.EndsWith ".gz" then new GZipStream(file, CompressionMode.Decompress) else file
    use memory = new MemoryStream()
    stream.CopyTo memory
    let b = memory.ToArray()
    Assert.Equal<byte[]>([| 0uy; 0uy; 8uy |], b[0..2])
    let rank = int b[3]
    let dims =
        [ for i in 0 .. rank - 1 ->
            (int b[4 + 4 * i] <<< 24) ||| (int b[5 + 4 * i] <<< 16) ||| (int b[6 + 4 * i] <<< 8) ||| int b[7 + 4 * i] ]
    dims, b[4 + 4 * rank ..]

[<Fact>]
let ``sample draws from a trained VAE as PNG or IDX, and a traversal decodes z = 0 in every row's middle`` () =
    engine ()
    use dir = new TempDir()
    let rng = System.Random 8
    let images, labels = dir.File "x-idx3-ubyte", dir.File "y-idx1-ubyte"
    writeIdx images [ 64; 4; 4 ] (Array.init (64 * 16) (fun _ -> byte (rng.Next 256))) false
    writeIdx labels [ 64 ] (Array.zeroCreate 64) false
    let vae = dir.File "vae.bnn"
    let code, text =
        run [ "train"; "--method"; "vae"; "--network"; "16-8-3"; "--images"; images; "--labels"; labels; "--epochs"; "1"
              "--output"; vae; "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    let sample (args: string list) =
        let code, output = run ([ "sample"; vae ] @ args)
        Assert.True((code = ExitCodes.Success), output)
    sample [ "--count"; "6"; "--output"; dir.File "s.png" ]
    Assert.Equal<byte[]>([| 0x89uy; 0x50uy; 0x4Euy; 0x47uy |], File.ReadAllBytes(dir.File "s.png")[0..3])
    sample [ "--count"; "6"; "--seed"; "1"; "--output"; dir.File "a.idx" ]
    sample [ "--count"; "6"; "--seed"; "1"; "--output"; dir.File "b.idx.gz" ]
    sample [ "--count"; "6"; "--seed"; "2"; "--output"; dir.File "c.idx" ]
    let dims, a = readIdx (dir.File "a.idx")
    Assert.Equal<int list>([ 6; 4; 4 ], dims)
    Assert.Equal<byte[]>(a, snd (readIdx (dir.File "b.idx.gz")))
    Assert.NotEqual<byte[]>(a, snd (readIdx (dir.File "c.idx")))
    // The draws are the saved VAE's: its model file loaded here gives the same bytes for the same seed.
    use loaded = BayesDL.Models.ModelFile.LoadVae(vae, BayesDL.Engine.ComputePolicy.Default)
    BayesDL.Engine.NativeEngine.Seed 1L
    use drawn = loaded.SamplePrior 6L
    let scalar (v: float) = TorchSharp.Scalar.op_Implicit v
    use expected = drawn.clamp(scalar 0.0, scalar 1.0).mul(scalar 255.0).round().to_type(TorchSharp.torch.ScalarType.Byte)
    Assert.Equal<byte[]>(expected.data<byte>().ToArray(), a)
    // Traversal: 3 latent dimensions x 5 values in [-3, 3]; the middle value is 0, so every row's middle image is the decoded z = 0,
    // and each row's ends differ (a coordinate the decoder ignores entirely would be a bug or a dead unit, not expected here).
    sample [ "--count"; "5"; "--traverse"; "--output"; dir.File "t.idx" ]
    let dims, t = readIdx (dir.File "t.idx")
    Assert.Equal<int list>([ 15; 4; 4 ], dims)
    let image r c = t[(r * 5 + c) * 16 .. (r * 5 + c) * 16 + 15]
    for r in 1..2 do
        Assert.Equal<byte[]>(image 0 2, image r 2)
    for r in 0..2 do
        Assert.NotEqual<byte[]>(image r 0, image r 4)
    // Row d moves coordinate d: the rows' first images (z_d = -3) differ.
    Assert.NotEqual<byte[]>(image 0 0, image 1 0)
    Assert.NotEqual<byte[]>(image 1 0, image 2 0)
    // A model file of another kind, a corrupt one, the options the VAE no longer needs, or a file name without a known
    // extension are usage errors.
    let network = dir.File "vi.bnn"
    let code, text =
        run [ "train"; "--method"; "vi"; "--network"; "16-3"; "--images"; images; "--labels"; labels; "--epochs"; "1"; "--output"; network
              "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    let code, output = run [ "sample"; network; "--output"; dir.File "x.png" ]
    Assert.Equal(ExitCodes.Usage, code)
    Assert.Contains("a model file of a VAE", output)
    let broken = File.ReadAllBytes vae
    broken[broken.Length - 4] <- broken[broken.Length - 4] ^^^ 1uy
    File.WriteAllBytes(dir.File "broken.bnn", broken)
    let code, output = run [ "sample"; dir.File "broken.bnn"; "--output"; dir.File "x.png" ]
    Assert.Equal(ExitCodes.Usage, code)
    Assert.Contains(dir.File "broken.bnn" + ": expected ", output)
    let code, output = run [ "sample"; vae; "--network"; "16-8-3"; "--output"; dir.File "x.png" ]
    Assert.Equal(ExitCodes.Usage, code)
    Assert.Contains("--network", output)
    let code, output = run [ "sample"; vae; "--output"; dir.File "x.jpg" ]
    Assert.Equal(ExitCodes.Usage, code)
    Assert.Contains("--output " + dir.File "x.jpg" + ": expected a .png, .idx or .idx.gz", output)
