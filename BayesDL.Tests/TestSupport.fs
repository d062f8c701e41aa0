/// Helpers shared by the tests: engine start-up, temp folders, repository paths, tolerances.
module BayesDL.Tests.TestSupport

open System
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
