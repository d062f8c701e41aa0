// Loaded by every BayesDL F# script: references the built library (run `dotnet build BayesDL.sln` first).
// BayesDL.Dsl's output folder carries all dependencies, including the native engine patched for older
// Linux systems; touching BayesDL before TorchSharp lets BayesDL.Core preload that patched library.
// BayesDL.Plotting's output folder carries the plotting stack (ScottPlot, SkiaSharp and its native libraries).
#r "../BayesDL.Dsl/bin/Debug/net10.0/TorchSharp.dll"
#r "../BayesDL.Dsl/bin/Debug/net10.0/BayesDL.Core.dll"
#r "../BayesDL.Dsl/bin/Debug/net10.0/BayesDL.Dsl.dll"
#r "../BayesDL.Plotting/bin/Debug/net10.0/ScottPlot.dll"
#r "../BayesDL.Plotting/bin/Debug/net10.0/BayesDL.Plotting.dll"

BayesDL.Engine.NativeEngine.EnsureLoaded()
// Tensors and predictive results print their values in fsi, not just their shape.
fsi.AddPrinter BayesDL.Dsl.Printing.tensor
fsi.AddPrinter BayesDL.Dsl.Printing.predictive

/// True when BAYESDL_QUICK=1: scripts cut epochs and samples so the test suite can run them all.
let quick = System.Environment.GetEnvironmentVariable "BAYESDL_QUICK" = "1"

/// A path for an output file (a PNG) in the untracked artifacts/scripts folder, created on demand.
let artifact (fileName: string) =
    let folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(__SOURCE_DIRECTORY__, "..", "artifacts", "scripts"))
    System.IO.Directory.CreateDirectory folder |> ignore
    System.IO.Path.Combine(folder, fileName)

// ScottPlot draws with SkiaSharp, whose native libraries sit under runtimes/<rid>/native in the build output;
// dotnet fsi does not read that layout from a deps.json, so point SkiaSharp's and HarfBuzzSharp's imports there.
#r "../BayesDL.Plotting/bin/Debug/net10.0/SkiaSharp.dll"
#r "../BayesDL.Plotting/bin/Debug/net10.0/HarfBuzzSharp.dll"
open System.Runtime.InteropServices
do
    let os, ext =
        if RuntimeInformation.IsOSPlatform OSPlatform.Windows then "win", ".dll"
        elif RuntimeInformation.IsOSPlatform OSPlatform.OSX then "osx", ".dylib"
        else "linux", ".so"
    let arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()
    let native = System.IO.Path.Combine(__SOURCE_DIRECTORY__, "..", "BayesDL.Plotting", "bin", "Debug", "net10.0",
                                        "runtimes", os + "-" + arch, "native")
    let resolve (name: string) (_: System.Reflection.Assembly) (_: System.Nullable<DllImportSearchPath>) =
        let file = System.IO.Path.Combine(native, (if name.StartsWith "lib" || os = "win" then name else "lib" + name) + ext)
        if System.IO.File.Exists file then NativeLibrary.Load file else System.IntPtr.Zero
    for assembly in [ typeof<SkiaSharp.SKCanvas>.Assembly; typeof<HarfBuzzSharp.Blob>.Assembly ] do
        // A resolver can be set once per assembly: a second #load in the same session keeps the first.
        try NativeLibrary.SetDllImportResolver(assembly, DllImportResolver resolve) with :? System.InvalidOperationException -> ()
