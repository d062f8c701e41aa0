using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace BayesDL.Engine;

/// <summary>
/// Loads TorchSharp's native backend. On Linux systems whose libstdc++ is older than TorchSharp's native library
/// asks for, the library must be a patched copy (see <see cref="PatchedNativeLibrary"/>): the build patches the one in
/// an application's output, and where there is no output (<c>dotnet fsi</c>) a patched copy is made at load time.
/// Either is loaded when BayesDL.Core is first touched, before TorchSharp looks for the library itself.
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
        try { PatchedNativeLibrary.Preload(); }
        // A failure here (an unreadable or read-only folder) leaves the lookup to TorchSharp; EnsureLoaded reports what it finds.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException) { }
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
                    "GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04) the build patches libLibTorchSharp.so in its output folder, and " +
                    "without an output folder (dotnet fsi) BayesDL loads a patched copy from its local application data folder; " +
                    "make sure the TorchSharp-cpu package (or a CUDA one) is referenced and the folder is writable. " +
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
