/// Helpers of the CLI tests: run `bayesdl` in this process, write IDX files, and a tiny saved classifier with its data.
module BayesDL.Tests.Cli.CliSupport

open System
open System.IO
open System.IO.Compression
open BayesDL.Builders
open BayesDL.Cli
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Tests.TestSupport
open Spectre.Console

/// A console printing plain text to <c>writer</c> (no colours, wide enough not to wrap).
let private plainConsole (writer: TextWriter) =
    let console =
        AnsiConsole.Create(AnsiConsoleSettings(Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
                                               Out = AnsiConsoleOutput writer, Interactive = InteractionSupport.No))
    console.Profile.Width <- 400
    console

/// Runs `bayesdl args` in this process: exit code, what it printed as results (standard output) and as errors (standard error).
let runStreams (args: string list) =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = BayesDLApp.Run(Array.ofList args, plainConsole out, plainConsole err)
    code, out.ToString(), err.ToString()

/// Runs `bayesdl args` in this process: exit code and everything printed (results, then errors).
let run (args: string list) =
    let code, out, err = runStreams args
    code, out + err

/// An IDX file: magic 00 00 08 rank, big-endian int32 sizes, then the bytes; gzipped when asked.
let writeIdx (path: string) (dims: int list) (bytes: byte[]) (gzip: bool) =
    use file = File.Create path
    use stream: Stream = if gzip then new GZipStream(file, CompressionLevel.Fastest) else file
    stream.Write([| 0uy; 0uy; 8uy; byte dims.Length |], 0, 4)
    for d in dims do
        stream.Write([| byte (d >>> 24); byte (d >>> 16); byte (d >>> 8); byte d |], 0, 4)
    stream.Write(bytes, 0, bytes.Length)

/// 40 random 4x4 images (gzipped) and labels in 0..2 (plain), and a 16-8-3 Bayes-by-Backprop classifier saved untrained
/// (its random posterior predicts well above or below chance by luck alone, which is all the comparison needs).
let fixture (dir: TempDir) =
    let rng = Random 5
    let images, labels = dir.File "images-idx3-ubyte.gz", dir.File "labels-idx1-ubyte"
    writeIdx images [ 40; 4; 4 ] (Array.init (40 * 16) (fun _ -> byte (rng.Next 256))) true
    writeIdx labels [ 40 ] (Array.init 40 (fun _ -> byte (rng.Next 3))) false
    NativeEngine.Seed 2L
    use built =
        ModelBuilder.Sequential().BayesLinear(16L, 8L).Relu().BayesLinear(8L, 3L)
            .WithLikelihood(Likelihoods.Categorical()).Build(ComputePolicy.Default)
    let modelPath = dir.File "tiny.bnn"
    ModelFile.Save(built.Network, modelPath)
    modelPath, images, labels

