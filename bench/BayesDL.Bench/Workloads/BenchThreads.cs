using TorchSharp;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Intra-op threads for the MC dropout and shift workloads: BAYESDL_THREADS if set, else 2 (the setting of the
/// PyTorch reference figures). On a machine whose cores are oversubscribed by other processes, 2 OpenMP threads
/// can run ten times slower than 1 (threads spin at barriers), so runs on a shared machine may set 1.
/// </summary>
internal static class BenchThreads
{
    public static int Apply()
    {
        int threads = int.TryParse(Environment.GetEnvironmentVariable("BAYESDL_THREADS"), out int t) && t > 0 ? t : 2;
        torch.set_num_threads(threads);
        return threads;
    }
}
