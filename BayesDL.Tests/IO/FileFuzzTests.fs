/// The readers under fuzz (model files of a network, a deep ensemble and a VAE, both checkpoint kinds, IDX, CSV, the regression layout's
/// splits file, its CSV under
/// a manifest and the manifest) and a real kill during a checkpoint write, each
/// run in a child process (BayesDL.FileFuzz) so that a native abort ends the child, is seen here by its exit code and
/// reported with the case that caused it, instead of ending the test run.
module BayesDL.Tests.IO.FileFuzzTests

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open Xunit
open BayesDL.Validation
open BayesDL.Tests.TestSupport

let private childDll = Path.Combine(AppContext.BaseDirectory, "BayesDL.FileFuzz.dll")

let private start (args: string list) =
    let info = ProcessStartInfo(dotnetHost, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    info.ArgumentList.Add childDll
    for a in args do info.ArgumentList.Add a
    Process.Start info

/// Cases per reader (issue 12: at least 1,000 in CI) and the bound on one case (a hang is a failure).
let private cases = 1000
let private caseBoundMs = 2000.0

[<Theory>]
[<InlineData("model")>]
[<InlineData("ensemble-model")>]
[<InlineData("vae-model")>]
[<InlineData("standardized-model")>]
[<InlineData("laplace-model")>]
[<InlineData("swag-model")>]
[<InlineData("sgmcmc-model")>]
[<InlineData("trainer-checkpoint")>]
[<InlineData("vae-checkpoint")>]
[<InlineData("idx")>]
[<InlineData("idx-gzip")>]
[<InlineData("csv")>]
[<InlineData("splits")>]
[<InlineData("uci-csv")>]
[<InlineData("uci-manifest")>]
let ``every truncation, bit flip, insertion and header edit of a file ends in FileFormatException or, when still valid, in its content``
        (reader: string) =
    Assert.True(File.Exists childDll, sprintf "%s is missing: build BayesDL.Tests" childDll)
    use dir = new TempDir()
    use child = start [ "fuzz"; reader; string cases; "20261203"; dir.Path; string caseBoundMs ]
    let stdout = child.StandardOutput.ReadToEndAsync()
    let stderr = child.StandardError.ReadToEndAsync()
    // A hang (or a case loop far slower than its bound) is killed and reported with the case it was in.
    let finished = child.WaitForExit(TimeSpan.FromSeconds 120.0)
    if not finished then child.Kill true
    child.WaitForExit()
    let output, errors = stdout.Result, stderr.Result
    let lastCase = errors.Split('\n') |> Array.filter (fun l -> l.StartsWith "case ") |> Array.tryLast |> Option.defaultValue "(none)"
    Assert.True(finished, sprintf "the %s fuzz did not finish within 120 s; last case started: %s" reader lastCase)
    Assert.True((child.ExitCode = 0),
                sprintf "the %s fuzz child ended with exit code %d (a crash or native abort) in %s\n%s\n%s" reader
                    child.ExitCode lastCase output (errors.Split('\n') |> Array.filter (fun l -> not (l.StartsWith "case "))
                                                    |> Array.truncate 5 |> String.concat "\n"))
    let summary = Regex.Match(output, @"summary reader=(\S+) cases=(\d+) refused=(\d+) accepted=(\d+) failures=(\d+)")
    Assert.True(summary.Success, sprintf "no summary from the %s fuzz:\n%s" reader output)
    Assert.Equal(reader, summary.Groups[1].Value)
    Assert.Equal(cases, int summary.Groups[2].Value)
    Assert.True((int summary.Groups[5].Value = 0), sprintf "%s:\n%s" reader output)
    Assert.Equal(cases, int summary.Groups[3].Value + int summary.Groups[4].Value)
    // Checksummed files are never valid after a mutation (the layout's CSV is checksummed by its manifest): every case
    // must have been refused.
    if reader.EndsWith "model" || reader.EndsWith "checkpoint" || reader = "uci-csv" then Assert.Equal(cases, int summary.Groups[3].Value)

/// The temporary files of an atomic write in progress (see AtomicFile).
let private temporaries (dir: string) = Directory.GetFiles(dir, ".run.ckpt.*.tmp")

[<Fact>]
let ``a process killed (SIGKILL) while writing a checkpoint leaves the previous checkpoint loadable`` () =
    engineOneThread ()
    Assert.True(File.Exists childDll, sprintf "%s is missing: build BayesDL.Tests" childDll)
    // Kills until two of them landed inside a write (a kill can come just after the rename); every kill must leave a loadable file.
    let mutable insideWrite, attempts = 0, 0
    while insideWrite < 2 && attempts < 6 do
        attempts <- attempts + 1
        use dir = new TempDir()
        let path = dir.File "run.ckpt"
        use child = start [ "write-checkpoints"; path ]
        let mutable epochs = 0
        child.OutputDataReceived.Add(fun e -> if not (isNull e.Data) && e.Data.StartsWith "epoch " then epochs <- int (e.Data.Substring 6))
        child.BeginOutputReadLine()
        // Once a checkpoint exists, kill the child as soon as the next write has a partly written temporary file.
        let clock = Stopwatch.StartNew()
        let partial () = temporaries dir.Path |> Array.exists (fun f -> try FileInfo(f).Length > 0L with _ -> false)
        while not child.HasExited && not (epochs >= 2 && partial ()) && clock.Elapsed < TimeSpan.FromSeconds 60.0 do
            Threading.Thread.Sleep 1
        Assert.False(child.HasExited, sprintf "the writer ended by itself (exit code %d)" (if child.HasExited then child.ExitCode else 0))
        child.Kill() // SIGKILL on Unix: no finally block, flush or cleanup runs in the child.
        child.WaitForExit()
        let completed = epochs
        // A kill inside a write, before its rename, leaves its temporary file behind.
        if not (Array.isEmpty (temporaries dir.Path)) then insideWrite <- insideWrite + 1
        // The previous checkpoint loads: a fresh run of one epoch resumes from it, training nothing and returning its reports.
        use model = BayesDL.FileFuzz.Program.KillRun.model ()
        use data = BayesDL.FileFuzz.Program.KillRun.data ()
        let reports = BayesDL.Training.Trainer(BayesDL.FileFuzz.Program.KillRun.options path 1).Fit(model, data)
        // The file is the last complete write: epoch `completed` (printed after its write) or the one after it.
        Assert.InRange(reports.Count, max 2 completed, completed + 1)
    Assert.True(insideWrite >= 1, sprintf "none of %d kills landed inside a checkpoint write" attempts)
