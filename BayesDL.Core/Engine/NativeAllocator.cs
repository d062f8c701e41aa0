using System.Runtime.InteropServices;
using BayesDL.Validation;

namespace BayesDL.Engine;

/// <summary>
/// Opt-in control of the C allocator that holds every CPU tensor's memory (glibc's <c>malloc</c> on Linux). The library
/// never calls it by itself. libtorch frees a step's temporaries as soon as their dispose scope ends, yet glibc keeps
/// freed blocks for reuse: once a freed block larger than its mmap threshold (128 KiB at start) has come back, the
/// threshold rises to that size (up to 32 MiB), later blocks of that size come from the heap, and the heap's free gaps stay
/// resident. So the resident set of a training loop can be several times what its live tensors hold. The two levers:
/// <list type="bullet">
/// <item><see cref="Configure"/> sets glibc's tuning parameters (<c>mallopt</c>), as the environment variables
/// <c>MALLOC_ARENA_MAX</c>, <c>MALLOC_TRIM_THRESHOLD_</c> and <c>MALLOC_MMAP_THRESHOLD_</c> would before start-up.
/// Fixing the mmap threshold low keeps the resident set near the live tensors but maps and unmaps (and the kernel zeroes)
/// every large tensor, which costs time.</item>
/// <item><see cref="ReleaseFreedMemory"/> (<c>malloc_trim(0)</c>) returns the free pages of every heap to the OS at a
/// point of the caller's choosing, e.g. between training and evaluation.</item>
/// </list>
/// The measured trade-off on the MNIST benchmarks is in docs/benchmarks.md ("Peak resident memory"). On other C libraries
/// (musl, Windows, macOS) both do nothing and return false.
/// </summary>
public static class NativeAllocator
{
    // glibc's mallopt parameter numbers (malloc.h).
    const int TrimThreshold = -1, MmapThreshold = -3, ArenaMax = -8;

    /// <summary>glibc's largest mmap threshold on 64-bit systems (HEAP_MAX_SIZE / 2 = 32 MiB).</summary>
    public const long MaxMmapThreshold = 32L * 1024 * 1024;

    /// <summary>
    /// Sets glibc's allocator parameters that are given (a null leaves that parameter as it is). Takes effect for
    /// allocations made afterwards, so call it first thing in a process.
    /// <list type="bullet">
    /// <item><paramref name="arenaMax"/>: the most arenas (per-thread heaps) glibc creates, 1 to 1,024 (default 8 per core);
    /// fewer arenas share freed blocks across threads.</item>
    /// <item><paramref name="trimThresholdBytes"/>: free memory at the top of the main heap above this size is returned to
    /// the OS when a block is freed, 0 to 2^31 - 1 bytes (default 128 KiB, raised with the mmap threshold).</item>
    /// <item><paramref name="mmapThresholdBytes"/>: blocks of at least this size get their own mapping and go back to the OS
    /// when freed, 0 to <see cref="MaxMmapThreshold"/> bytes; setting it fixes it (the adaptive rise is switched off).</item>
    /// </list>
    /// Returns true when every parameter given was accepted, false when the C library is not glibc.
    /// </summary>
    public static bool Configure(int? arenaMax = null, long? trimThresholdBytes = null, long? mmapThresholdBytes = null)
    {
        if (arenaMax is int a) Check.InRange(a, 1, 1024, nameof(NativeAllocator), nameof(arenaMax));
        if (trimThresholdBytes is long t) Check.InRange(t, 0, int.MaxValue, nameof(NativeAllocator), nameof(trimThresholdBytes));
        if (mmapThresholdBytes is long m) Check.InRange(m, 0, MaxMmapThreshold, nameof(NativeAllocator), nameof(mmapThresholdBytes));
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            bool ok = true;
            if (arenaMax is int arenas) ok &= MallOpt(ArenaMax, arenas) == 1;
            if (trimThresholdBytes is long trim) ok &= MallOpt(TrimThreshold, (int)trim) == 1;
            if (mmapThresholdBytes is long mmap) ok &= MallOpt(MmapThreshold, (int)mmap) == 1;
            return ok;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;   // not glibc (musl has no mallopt)
        }
    }

    /// <summary>
    /// Returns the free pages of every glibc heap to the OS (<c>malloc_trim(0)</c>): the resident set drops to what live
    /// objects hold plus fragmentation within pages. Costs a walk over the heaps' free lists (milliseconds after a training
    /// run); call it between phases, not per step. Returns true when memory was released, false when there was none to
    /// release or the C library is not glibc.
    /// </summary>
    public static bool ReleaseFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallocTrim(0) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Managed bytes a thread may allocate between two collections that <see cref="CollectIfDue"/> starts (default 2 MiB; 0
    /// switches the pacing off). TorchSharp makes a native object for every number in a tensor expression (<c>x * 0.5</c>,
    /// <c>softplus(x, 1, 20)</c>, the optimizers' own arithmetic) and leaves it to the finalizer; the managed heap grows by a
    /// few MB per epoch, so the .NET GC runs rarely (once in 630 VAE steps), and meanwhile those small native blocks, scattered
    /// between the freed tensor buffers, keep glibc from reusing them: measured on the VAE benchmark (10 epochs, 1 thread),
    /// peak resident memory after training 1,315 MB without pacing and 408 MB with a 2 MiB budget (the same as
    /// <c>DOTNET_GCgen0size=0x200000</c>), for 8 generation-0 collections in 630 steps.
    /// </summary>
    public static long CollectionBudgetBytes
    {
        get => _collectionBudget;
        set
        {
            Check.NonNegative(value, nameof(NativeAllocator), nameof(CollectionBudgetBytes), "0 switches the pacing off.");
            _collectionBudget = value;
        }
    }

    static long _collectionBudget = 2L * 1024 * 1024;

    [ThreadStatic] static long _allocatedAtLastCollection;

    /// <summary>
    /// Runs a generation-0 collection when this thread has allocated <see cref="CollectionBudgetBytes"/> managed bytes since the
    /// last one it started, so that finalizers free the native objects TorchSharp left to them; returns whether it collected.
    /// Called by the library's training loop after each step and by its predictors after each chunk; call it in a loop of your
    /// own that runs many small tensor operations. A generation-0 collection of the library's few MB of managed objects takes
    /// well under a millisecond.
    /// </summary>
    public static bool CollectIfDue()
    {
        long budget = _collectionBudget;
        if (budget == 0) return false;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        if (allocated - _allocatedAtLastCollection < budget) return false;
        _allocatedAtLastCollection = allocated;
        GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: false);
        return true;
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);
}
