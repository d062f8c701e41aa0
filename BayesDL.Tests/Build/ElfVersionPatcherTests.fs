module BayesDL.Tests.Build.ElfVersionPatcherTests

open System
open System.IO
open System.Runtime.InteropServices
open Xunit
open BayesDL.NativePatch
open BayesDL.Tests.TestSupport

let private version = "GLIBCXX_3.4.32"

[<DllImport("libc", SetLastError = true)>]
extern int link(string existing, string newPath)

/// The unpatched library as TorchSharp ships it: the NuGet cache copy (read only, never modified).
let private original () =
    let root =
        match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
        | null | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
        | p -> p
    Directory.EnumerateFiles(Path.Combine(root, "torchsharp"), "libLibTorchSharp.so", SearchOption.AllDirectories)
    |> Seq.filter (fun p -> p.Contains "0.107.0" && p.Contains "linux-x64")
    |> Seq.head

[<Fact>]
let ``patching sets the weak flag on GLIBCXX_3.4.32 and changes nothing else`` () =
    use dir = new TempDir()
    let copy = dir.File "libLibTorchSharp.so"
    File.Copy(original (), copy)
    let before = File.ReadAllBytes copy
    let target = ElfVersionPatcher.ReadRequirements before |> Seq.filter (fun r -> r.Version = version) |> Seq.exactlyOne
    Assert.Equal("libstdc++.so.6", target.File)
    Assert.False target.IsWeak

    Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.MarkWeak(copy, version))
    let after = File.ReadAllBytes copy
    Assert.Equal(before.Length, after.Length)
    let changed = [ for i in 0 .. before.Length - 1 do if before[i] <> after[i] then yield i ]
    Assert.Equal<int list>([ int target.FlagsOffset ], changed)
    Assert.Equal(target.Flags ||| 2us, uint16 after[int target.FlagsOffset] ||| (uint16 after[int target.FlagsOffset + 1] <<< 8))
    // Every other requirement is exactly as it was.
    let others (bytes: byte[]) =
        ElfVersionPatcher.ReadRequirements bytes |> Seq.filter (fun r -> r.Version <> version)
        |> Seq.map (fun r -> r.File, r.Version, r.Flags) |> List.ofSeq
    Assert.Equal<(string * string * uint16) list>(others before, others after)

[<Fact>]
let ``patching twice is a no-op the second time`` () =
    use dir = new TempDir()
    let copy = dir.File "libLibTorchSharp.so"
    File.Copy(original (), copy)
    ElfVersionPatcher.MarkWeak(copy, version) |> ignore
    let once = File.ReadAllBytes copy
    Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkWeak(copy, version))
    Assert.Equal<byte[]>(once, File.ReadAllBytes copy)

[<Fact>]
let ``a version the library does not need is reported and nothing is written`` () =
    use dir = new TempDir()
    let copy = dir.File "libLibTorchSharp.so"
    File.Copy(original (), copy)
    let stamp = File.GetLastWriteTimeUtc copy
    Assert.Equal(ElfPatchOutcome.NotRequired, ElfVersionPatcher.MarkWeak(copy, "GLIBCXX_99.0"))
    Assert.Equal(stamp, File.GetLastWriteTimeUtc copy)

[<Fact>]
let ``patching replaces a hard link instead of writing through it`` () =
    use dir = new TempDir()
    let shared = dir.File "shared.so"
    File.Copy(original (), shared)
    let path = dir.File "libLibTorchSharp.so"
    Assert.Equal(0, link(shared, path))
    ElfVersionPatcher.MarkWeak(path, version) |> ignore
    Assert.Equal<byte[]>(File.ReadAllBytes(original ()), File.ReadAllBytes shared)
    Assert.NotEqual<byte[]>(File.ReadAllBytes shared, File.ReadAllBytes path)

[<Fact>]
let ``a file that is not ELF is rejected with the reason`` () =
    let e = Assert.Throws<InvalidDataException>(fun () -> ElfVersionPatcher.ReadRequirements(Array.zeroCreate 100) |> ignore)
    Assert.Contains("not an ELF file", e.Message)

[<Fact>]
let ``the unpatched library cannot load here exactly when the system libstdc++ lacks GLIBCXX_3.4.32`` () =
    engine () // its dependencies (libtorch, libc10) are then already mapped, so only the version check decides
    let libstdcxx = ElfVersionPatcher.FindSystemLibStdCxx()
    Assert.NotNull libstdcxx
    use dir = new TempDir()
    let copy = dir.File "libLibTorchSharp.so"
    File.Copy(original (), copy)
    let systemHasIt = ElfVersionPatcher.DefinesVersion(libstdcxx, version)
    let loadError =
        try NativeLibrary.Load copy |> ignore; None
        with :? DllNotFoundException as e -> Some e.Message
    if systemHasIt then Assert.Equal(None, loadError)
    else
        Assert.True(loadError.IsSome, "the unpatched library loaded although libstdc++ lacks " + version)
        Assert.Contains(version, loadError.Value)

[<Fact>]
let ``the library in the test output is patched exactly when the system needs it`` () =
    let output = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories) |> Seq.head
    let weak = ElfVersionPatcher.ReadRequirements(File.ReadAllBytes output) |> Seq.find (fun r -> r.Version = version)
    let needed = not (ElfVersionPatcher.DefinesVersion(ElfVersionPatcher.FindSystemLibStdCxx(), version))
    Assert.Equal(needed, weak.IsWeak)
