module BayesDL.Tests.Engine.NativeEngineTests

open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Tests.TestSupport

[<Fact>]
let ``the engine loads and backward of matmul plus relu gives the analytic gradient`` () =
    engine ()
    NativeEngine.Seed 1L
    use scope = torch.NewDisposeScope()
    let x = torch.randn(32L, 784L, dtype = torch.ScalarType.Float64)
    let w = torch.randn(784L, 400L, dtype = torch.ScalarType.Float64).requires_grad_(true)
    let loss = x.matmul(w).relu().sum()
    loss.backward()
    // d/dW sum(relu(XW)) = X^T 1[XW > 0]
    let expected = x.T.matmul(x.matmul(w).gt(torch.tensor 0.0).to_type(torch.ScalarType.Float64))
    Assert.True(torch.allclose(w.grad, expected, rtol = 1e-12, atol = 1e-12))
    Assert.True(scalar loss > 0.0)

[<Fact>]
let ``the same seed gives the same numbers`` () =
    engine ()
    NativeEngine.Seed 7L
    let a = values (torch.randn 5L)
    NativeEngine.Seed 7L
    let b = values (torch.randn 5L)
    Assert.Equal<float[]>(a, b)

[<Fact>]
let ``allocator settings out of range are refused naming the parameter, and on glibc a trim hands freed tensor memory back`` () =
    engine ()
    let refused (parameter: string) (action: unit -> bool) =
        let e = Assert.Throws<System.ArgumentException>(fun () -> action () |> ignore)
        Assert.Contains(sprintf "parameter '%s'" parameter, e.Message)
    refused "arenaMax" (fun () -> NativeAllocator.Configure(arenaMax = System.Nullable 0))
    refused "trimThresholdBytes" (fun () -> NativeAllocator.Configure(trimThresholdBytes = System.Nullable -1L))
    refused "mmapThresholdBytes" (fun () -> NativeAllocator.Configure(mmapThresholdBytes = System.Nullable(64L <<< 20)))
    let glibc = System.OperatingSystem.IsLinux() && System.IO.File.Exists "/proc/self/status"
                && not (System.IO.Directory.GetFiles("/lib", "ld-musl*").Length > 0)
    if glibc then
        // 1,024 arenas: above glibc's default (8 per core), so this leaves the test process's allocator as it was.
        Assert.True(NativeAllocator.Configure(arenaMax = System.Nullable 1024))
        // 2,000 tensors of 64 KiB (below the mmap threshold: from the heap), all freed but the last, which pins the heap's
        // top so free() cannot shrink it: the 125 MB stay resident until malloc_trim hands the free pages back.
        let tensors = Array.init 2000 (fun _ -> torch.ones(16384L))
        for t in tensors[.. 1998] do t.Dispose()
        let before = BayesDL.Bench.ProcessMemory.RssMb()
        Assert.True(NativeAllocator.ReleaseFreedMemory(), "malloc_trim(0) should have released memory")
        let after = BayesDL.Bench.ProcessMemory.RssMb()
        tensors[1999].Dispose()
        Assert.True(before - after > 60.0, sprintf "RSS %.0f MB before the trim and %.0f MB after: expected > 60 MB released" before after)

[<Fact>]
let ``collection pacing collects once the thread has allocated its budget, not before, and a budget of 0 switches it off`` () =
    let saved = NativeAllocator.CollectionBudgetBytes
    try
        let e = Assert.Throws<System.ArgumentException>(fun () -> NativeAllocator.CollectionBudgetBytes <- -1L)
        Assert.Contains("parameter 'CollectionBudgetBytes'", e.Message)
        NativeAllocator.CollectionBudgetBytes <- 1L <<< 20
        NativeAllocator.CollectIfDue() |> ignore   // sets this thread's mark, whatever it allocated before
        Assert.False(NativeAllocator.CollectIfDue(), "nothing near 1 MiB was allocated since the last collection")
        let before = System.GC.CollectionCount 0
        let junk = Array.init 300 (fun _ -> Array.zeroCreate<byte> 8192)   // 2.4 MB of managed arrays
        Assert.True(NativeAllocator.CollectIfDue(), "2.4 MB allocated against a 1 MiB budget")
        Assert.True(System.GC.CollectionCount 0 > before)
        NativeAllocator.CollectionBudgetBytes <- 0L
        let more = Array.init 300 (fun _ -> Array.zeroCreate<byte> 8192)
        Assert.False(NativeAllocator.CollectIfDue(), "a budget of 0 switches the pacing off")
        System.GC.KeepAlive junk
        System.GC.KeepAlive more
    finally
        NativeAllocator.CollectionBudgetBytes <- saved
