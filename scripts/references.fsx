// Loaded by every BayesDL F# script: references the built library (run `dotnet build BayesDL.sln` first).
// BayesDL.Dsl's output folder carries all dependencies, including the native engine patched for older
// Linux systems; touching BayesDL before TorchSharp lets BayesDL.Core preload that patched library.
#r "../BayesDL.Dsl/bin/Debug/net10.0/TorchSharp.dll"
#r "../BayesDL.Dsl/bin/Debug/net10.0/BayesDL.Core.dll"
#r "../BayesDL.Dsl/bin/Debug/net10.0/BayesDL.Dsl.dll"

BayesDL.Engine.NativeEngine.EnsureLoaded()

/// True when BAYESDL_QUICK=1: scripts cut epochs and samples so the test suite can run them all.
let quick = System.Environment.GetEnvironmentVariable "BAYESDL_QUICK" = "1"

/// A path for an output file (a PNG) in the untracked artifacts/scripts folder, created on demand.
let artifact (fileName: string) =
    let folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(__SOURCE_DIRECTORY__, "..", "artifacts", "scripts"))
    System.IO.Directory.CreateDirectory folder |> ignore
    System.IO.Path.Combine(folder, fileName)
