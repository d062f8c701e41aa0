/// The child process of the file fuzz and kill tests.
///   fuzz <reader> <cases> <seed> <folder> <max-ms>: mutates a valid file of the reader <cases> times; prints one
///     "summary ..." line and a "failure ..." line per case that did not end as it must (a refused file must raise
///     BayesDL.Validation.FileFormatException; a valid one must read as the oracle says; each within max-ms).
///   write-checkpoints <path>: trains KillRun's model, checkpointing after every epoch, printing "epoch N" after each.
module BayesDL.FileFuzz.Program

open System
open System.Diagnostics
open System.IO
open TorchSharp
open BayesDL.Engine
open BayesDL.Validation
open BayesDL.FileFuzz.Seeds

/// The run the kill test interrupts: a model large enough that writing its checkpoint takes a while.
module KillRun =
    let model () =
        NativeEngine.Seed 1L
        // About 1M weights: each checkpoint (weights, Adam's two moments) is about 12 MB, so a write takes a while.
        BayesDL.Models.BayesianNetwork.Create(BayesDL.Predictive.Likelihood.Categorical(), BayesDL.Layers.BayesNN.BayesLinear(2L, 1000L),
                                              torch.nn.ReLU(), BayesDL.Layers.BayesNN.BayesLinear(1000L, 500L), torch.nn.ReLU(),
                                              BayesDL.Layers.BayesNN.BayesLinear(500L, 2L))
    let data () =
        NativeEngine.Seed 8L
        new BayesDL.Data.LabeledData(torch.randn(8L, 2L), torch.randint(2L, [| 8L |], dtype = torch.ScalarType.Int64))
    let options (path: string) epochs =
        BayesDL.Training.TrainerOptions(Epochs = epochs, BatchSize = 8, Seed = 3L, Checkpoint = BayesDL.Training.CheckpointOptions(path))

type private Verdict =
    | Refused
    | Accepted
    /// A kind (silent-success, wrong-exception, wrong-path, false-rejection, wrong-content, slow) and what happened.
    | Failed of kind: string * what: string

let private fuzz (reader: Reader) (cases: int) (seed: uint64) (folder: string) (maxMs: float) =
    let original = reader.Create(Path.Combine(folder, "seed-" + reader.Name))
    let path = Path.Combine(folder, "case-" + reader.Name)
    // The oracle and the reader agree on the valid file itself.
    File.WriteAllBytes(path, original)
    match reader.Oracle original with
    | Some expected when reader.Read path = expected -> ()
    | _ -> failwithf "%s: the valid seed file does not read as its oracle says" reader.Name
    let mutations = Mutations.sample seed cases (Mutations.generator original.Length (reader.Header original) reader.HeaderValues original)
    let mutable refused, accepted, maxSeen = 0, 0, 0.0
    let failures = ResizeArray()
    let total = Stopwatch.StartNew()
    for i, m in Array.indexed mutations do
        let bytes = Mutations.apply original m
        File.WriteAllBytes(path, bytes)
        eprintfn "case %d: %O" i m
        let clock = Stopwatch.StartNew()
        let verdict =
            match reader.Oracle bytes with
            | None ->
                try
                    reader.Read path |> ignore
                    Failed("silent-success", "the corrupt file was read without an error")
                with
                | :? FileFormatException as e when reader.Names e path -> Refused
                | :? FileFormatException as e -> Failed("wrong-path",
                                                        sprintf "FileFormatException naming %s instead of the file: %s" e.Path e.Message)
                | e -> Failed("wrong-exception", sprintf "%s instead of FileFormatException: %s" (e.GetType().Name) e.Message)
            | Some expected ->
                try
                    let found = reader.Read path
                    if found = expected then Accepted else Failed("wrong-content", "the valid mutated file was read with other content")
                with e -> Failed("false-rejection",
                                 sprintf "the mutated file is valid but was refused: %s: %s" (e.GetType().Name) e.Message)
        let ms = clock.Elapsed.TotalMilliseconds
        maxSeen <- max maxSeen ms
        let verdict = if ms > maxMs then Failed("slow", sprintf "took %.0f ms (bound %.0f ms)" ms maxMs) else verdict
        match verdict with
        | Refused -> refused <- refused + 1
        | Accepted -> accepted <- accepted + 1
        | Failed(kind, why) ->
            failures.Add(kind, sprintf "failure reader=%s case=%d kind=%s (%O): %s" reader.Name i kind m (why.ReplaceLineEndings " "))
    let kinds = failures |> Seq.countBy fst |> Seq.map (fun (k, n) -> sprintf "%s:%d" k n) |> String.concat ","
    printfn "summary reader=%s cases=%d refused=%d accepted=%d failures=%d max_ms=%.1f total_s=%.2f kinds=%s"
        reader.Name cases refused accepted failures.Count maxSeen total.Elapsed.TotalSeconds (if kinds = "" then "none" else kinds)
    // The first three failures of each kind.
    for _, group in failures |> Seq.groupBy fst do
        for _, line in Seq.truncate 3 group do printfn "%s" line

[<EntryPoint>]
let main argv =
    NativeEngine.EnsureLoaded()
    torch.set_num_threads 1
    match argv with
    | [| "fuzz"; name; cases; seed; folder; maxMs |] ->
        let reader = Seeds.all |> List.find (fun r -> r.Name = name)
        fuzz reader (int cases) (uint64 seed) folder (float maxMs)
        0
    | [| "write-checkpoints"; path |] ->
        use model = KillRun.model ()
        use data = KillRun.data ()
        BayesDL.Training.Trainer(KillRun.options path 100000)
            .Fit(model, data, onEpoch = fun e -> printfn "epoch %d" e.Epoch; Console.Out.Flush())
        |> ignore
        0
    | _ ->
        eprintfn "usage: fuzz <reader> <cases> <seed> <folder> <max-ms> | write-checkpoints <path>"
        2
