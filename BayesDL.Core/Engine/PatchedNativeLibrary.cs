using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BayesDL.NativePatch;
using TorchSharp;

namespace BayesDL.Engine;

/// <summary>
/// Gets TorchSharp's native library loaded on Linux systems whose libstdc++ lacks <c>GLIBCXX_3.4.32</c>
/// (Debian 12, Ubuntu 22.04), before TorchSharp looks for it. In order:
/// <list type="number">
/// <item>a copy beside BayesDL.Core (an application's or tool's output, patched by the build targets that come with
/// the package): loaded as it is;</item>
/// <item>otherwise, where there is no build output to patch (<c>dotnet fsi</c> with <c>#r "nuget: BayesDL.Core"</c>,
/// or output built with <c>BayesDLPatchNative=false</c>): a copy of TorchSharp's library with that one requirement
/// marked weak (<see cref="ElfVersionPatcher"/>), kept under the user's local application data folder
/// (<c>BayesDL/native/&lt;hash of the original&gt;/</c>) and loaded after the libtorch it needs.</item>
/// </list>
/// The NuGet cache is never modified. Once loaded, TorchSharp's own lookup finds the library by its soname.
/// </summary>
internal static class PatchedNativeLibrary
{
    const string LibraryFile = "libLibTorchSharp.so";
    const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>Where the library was loaded from, or null when this class loaded nothing (TorchSharp's own lookup decides).</summary>
    internal static string? LoadedFrom { get; private set; }

    static string Rid => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";

    /// <summary>Runs the steps above; any failure leaves the decision to TorchSharp
    /// (and its error to <see cref="NativeEngine.EnsureLoaded"/>).</summary>
    internal static void Preload()
    {
        string? here = Path.GetDirectoryName(typeof(PatchedNativeLibrary).Assembly.Location);
        string[] besideUs = string.IsNullOrEmpty(here) ? [] : [Path.Combine(here, "runtimes", Rid, "native", LibraryFile),
            Path.Combine(here, LibraryFile)];
        foreach (string candidate in besideUs)
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out _)) { LoadedFrom = candidate; return; }

        string? libstdcxx = ElfVersionPatcher.FindSystemLibStdCxx();
        if (libstdcxx is null || ElfVersionPatcher.DefinesVersion(libstdcxx, MissingVersion)) return;
        string? original = besideUs.Concat(TorchSharpCandidates()).FirstOrDefault(File.Exists);
        if (original is null) return;
        string? libtorch = FindLibTorch(original);
        if (libtorch is null || !NativeLibrary.TryLoad(libtorch, out _)) return;
        string patched = PatchedCopy(original);
        if (NativeLibrary.TryLoad(patched, out _)) LoadedFrom = patched;
    }

    /// <summary>TorchSharp's own copy: beside TorchSharp.dll, or in its NuGet package (<c>lib/net8.0/../../runtimes/</c>).</summary>
    static IEnumerable<string> TorchSharpCandidates()
    {
        string? dir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (string.IsNullOrEmpty(dir)) yield break;
        yield return Path.Combine(dir, "runtimes", Rid, "native", LibraryFile);
        yield return Path.Combine(dir, LibraryFile);
        yield return Path.Combine(dir, "..", "..", "runtimes", Rid, "native", LibraryFile);
    }

    /// <summary>
    /// libtorch.so beside the library (an output folder), else in the NuGet packages folder that holds TorchSharp:
    /// <c>libtorch-cpu-&lt;rid&gt;/&lt;version&gt;/runtimes/&lt;rid&gt;/native/</c>, the version TorchSharp was built against.
    /// </summary>
    static string? FindLibTorch(string torchSharpLibrary)
    {
        string beside = Path.Combine(Path.GetDirectoryName(torchSharpLibrary)!, "libtorch.so");
        if (File.Exists(beside)) return beside;
        string? torchSharpDll = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (string.IsNullOrEmpty(torchSharpDll)) return null;
        // <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll
        var packages = new DirectoryInfo(torchSharpDll).Parent?.Parent?.Parent?.Parent;
        var libtorchPackage = packages is null ? null : new DirectoryInfo(Path.Combine(packages.FullName, $"libtorch-cpu-{Rid}"));
        if (libtorchPackage is null || !libtorchPackage.Exists) return null;
        Version? wanted = ExpectedLibTorchVersion();
        var found = libtorchPackage.EnumerateDirectories()
            .Select(d => (Folder: d, Version: Version.TryParse(d.Name, out var v) ? v : null))
            .Where(p => p.Version is not null && File.Exists(Path.Combine(p.Folder.FullName, "runtimes", Rid, "native", "libtorch.so")))
            .OrderByDescending(p => wanted is not null && p.Version!.ToString(3) == wanted.ToString(3))
            .ThenByDescending(p => p.Version)
            .FirstOrDefault();
        return found.Folder is null ? null : Path.Combine(found.Folder.FullName, "runtimes", Rid, "native", "libtorch.so");
    }

    /// <summary>The libtorch package version TorchSharp names in its own loader (a private constant), when it can be read.</summary>
    static Version? ExpectedLibTorchVersion()
    {
        var field = typeof(torch).GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static);
        return field?.IsLiteral == true && field.GetRawConstantValue() is string text && Version.TryParse(text, out var v) ? v : null;
    }

    /// <summary>
    /// The patched copy of <paramref name="original"/>, made once per distinct original (its SHA-256 names the folder)
    /// and written through a temporary file and a rename, so concurrent processes never see half a library.
    /// </summary>
    static string PatchedCopy(string original)
    {
        byte[] bytes = File.ReadAllBytes(original);
        string hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        string folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData,
            Environment.SpecialFolderOption.Create), "BayesDL", "native", hash);
        string target = Path.Combine(folder, LibraryFile);
        if (File.Exists(target)) return target;
        Directory.CreateDirectory(folder);
        ElfVersionPatcher.MarkWeak(bytes, MissingVersion);
        string temp = Path.Combine(folder, $"{LibraryFile}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, target, overwrite: true);
        return target;
    }
}
