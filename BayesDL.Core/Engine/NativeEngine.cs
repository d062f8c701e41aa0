using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace BayesDL.Engine;

/// <summary>
/// Loads TorchSharp's native backend. In an application the runtime finds the (build-patched)
/// <c>libLibTorchSharp.so</c> through the app's deps.json. In <c>dotnet fsi</c> TorchSharp would look
/// next to TorchSharp.dll and then copy the unpatched library out of the NuGet cache, which fails on
/// systems with an old libstdc++; loading the patched copy that sits beside this assembly first avoids that.
/// </summary>
public static class NativeEngine
{
    static readonly object Gate = new();
    static bool _ready;

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255",
        Justification = "Scripts touch BayesDL before TorchSharp; the patched native library must be loaded first.")]
    internal static void PreloadPatchedNativeLibrary()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return;
        string? here = Path.GetDirectoryName(typeof(NativeEngine).Assembly.Location);
        if (string.IsNullOrEmpty(here)) return;
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        foreach (string candidate in new[] { Path.Combine(here, "runtimes", rid, "native", "libLibTorchSharp.so"), Path.Combine(here, "libLibTorchSharp.so") })
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out _)) return;
    }

    /// <summary>
    /// Makes sure the engine is loaded and seeds nothing. Throws <see cref="InvalidOperationException"/>
    /// with the native loader's message and the usual fix when the backend cannot be loaded.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (_ready) return;
        lock (Gate)
        {
            if (_ready) return;
            try
            {
                using var probe = torch.zeros(1);
                _ready = true;
            }
            catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
            {
                throw new InvalidOperationException(
                    "BayesDL: TorchSharp's native backend could not be loaded. On Linux with a libstdc++ older than " +
                    "GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04) the build patches libLibTorchSharp.so in its output folder; " +
                    "make sure you run the built output (dotnet build / dotnet run) and that BayesDLPatchNative is not false. " +
                    "Loader said: " + (e.InnerException?.Message ?? e.Message), e);
            }
        }
    }

    /// <summary>CUDA when the CUDA backend is installed and a device is present, else CPU.</summary>
    public static torch.Device BestDevice()
    {
        EnsureLoaded();
        return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
    }

    /// <summary>Seeds TorchSharp's global generator (sampling, dropout masks, initialisation).</summary>
    public static void Seed(long seed)
    {
        EnsureLoaded();
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }
}
