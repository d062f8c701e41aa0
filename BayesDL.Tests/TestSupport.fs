/// Helpers shared by the tests: engine start-up, temp folders, repository paths, tolerances.
module BayesDL.Tests.TestSupport

open System
open System.Diagnostics
open System.IO
open BayesDL.Engine
open TorchSharp

/// Loads the engine once; every test that touches tensors calls this first.
let engine () = NativeEngine.EnsureLoaded()

/// The engine with one intra-op thread: the same operations then give the same bits run after run, which tests
/// comparing two trainings or two samplers bitwise rely on.
let engineOneThread () =
    engine ()
    torch.set_num_threads 1

/// A fresh temporary directory, deleted when disposed.
type TempDir() =
    let path = Path.Combine(Path.GetTempPath(), "bayesdl-tests-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    interface IDisposable with
        member _.Dispose() = try Directory.Delete(path, true) with _ -> ()

/// The repository root (the folder holding BayesDL.sln), found by walking up from the test binaries.
let repoRoot =
    let rec up (d: DirectoryInfo) =
        if isNull d then failwith "BayesDL.sln not found above the test binaries"
        elif File.Exists(Path.Combine(d.FullName, "BayesDL.sln")) then d.FullName
        else up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// The float64 CPU policy used by exactness tests.
let cpu64 = ComputePolicy.Cpu.Float64()

/// Flat float64 copy of a tensor.
let values (t: torch.Tensor) : float[] =
    use c = t.detach().cpu().to_type(torch.ScalarType.Float64)
    c.data<float>().ToArray()

/// A float64 scalar from a one-element tensor.
let scalar (t: torch.Tensor) : float = t.detach().cpu().to_type(torch.ScalarType.Float64).item<float>()

/// The dotnet host running these tests (DOTNET_HOST_PATH, else this process when it is dotnet, else `dotnet` on PATH).
let dotnetHost =
    match Environment.GetEnvironmentVariable "DOTNET_HOST_PATH" with
    | p when not (String.IsNullOrEmpty p) && File.Exists p -> p
    | _ ->
        let self = Process.GetCurrentProcess().MainModule.FileName
        if Path.GetFileNameWithoutExtension self = "dotnet" then self else "dotnet"

/// What a child process did: its exit code (-1 when it ran past its time and was killed), stdout and stderr, seconds.
type ProcessOutcome = { ExitCode: int; Output: string; Seconds: float }

/// Runs `file args` in `workDir` with extra environment variables, reading stdout and stderr concurrently (a full pipe
/// would otherwise block the child) and killing it, with its children, after `timeout`. The test host's own MSBuild
/// variables are removed, so a child that builds a project builds it as a user's shell would.
let runProcess (workDir: string) (env: (string * string) list) (timeout: TimeSpan) (file: string) (args: string list) =
    let info = ProcessStartInfo(file, WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true,
                                UseShellExecute = false)
    args |> List.iter info.ArgumentList.Add
    for k, v in env do info.Environment[k] <- v
    for k in [ "MSBuildExtensionsPath"; "MSBuildSDKsPath"; "MSBUILD_EXE_PATH" ] do info.Environment.Remove k |> ignore
    let watch = Stopwatch.StartNew()
    use p = Process.Start info
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    let finished = p.WaitForExit timeout
    if not finished then p.Kill true
    p.WaitForExit()
    let streams = sprintf "stdout:\n%s\nstderr:\n%s" out.Result err.Result
    { ExitCode = (if finished then p.ExitCode else -1)
      Output = (if finished then streams else sprintf "timed out after %O\n%s" timeout streams)
      Seconds = watch.Elapsed.TotalSeconds }
