using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// Weight draws kept off the native heap: one managed float array of the D weights per draw, per chain, and each draw's cycle (0
/// without cycles). A network's draws can be many megabytes each; managed arrays are freed by the garbage collector and never
/// count against the engine's memory. <see cref="ToTensor"/> brings chosen draws back as one tensor.
/// </summary>
public sealed class SampleStore
{
    readonly List<float[]>[] _chains;
    readonly List<int> _cycles = [];

    internal SampleStore(int chains, int dimension)
    {
        _chains = Enumerable.Range(0, chains).Select(_ => new List<float[]>()).ToArray();
        Dimension = dimension;
    }

    /// <summary>D, weights per draw.</summary>
    public int Dimension { get; }

    /// <summary>The number of chains.</summary>
    public int ChainCount => _chains.Length;

    /// <summary>Draws kept per chain (the same for every chain).</summary>
    public int DrawsPerChain => _cycles.Count;

    /// <summary>Draw i of chain c.</summary>
    public float[] Draw(int chain, int draw) => _chains[chain][draw];

    /// <summary>The cycle (from 0) each draw index was taken in.</summary>
    public IReadOnlyList<int> Cycles => _cycles;

    /// <summary>Copies theta [C, D] (one row per chain) into the store as one draw per chain, taken in <paramref name="cycle"/>.</summary>
    internal void Add(Tensor theta, int cycle)
    {
        using var scope = NewDisposeScope();
        float[] flat = theta.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        for (int c = 0; c < _chains.Length; c++) _chains[c].Add(flat[(c * Dimension)..((c + 1) * Dimension)]);
        _cycles.Add(cycle);
    }

    /// <summary>The draws (chain, draw) listed, as a tensor [count, D] of <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public Tensor ToTensor(IReadOnlyList<(int Chain, int Draw)> draws, ScalarType dtype, Device device)
    {
        Check.Argument(draws.Count > 0, nameof(SampleStore), nameof(draws), "no draws", "at least one (chain, draw) pair");
        var flat = new float[draws.Count * (long)Dimension];
        for (int i = 0; i < draws.Count; i++) Array.Copy(_chains[draws[i].Chain][draws[i].Draw], 0, flat, (long)i * Dimension, Dimension);
        using var scope = NewDisposeScope();
        return tensor(flat, [draws.Count, Dimension]).to(dtype, device).MoveToOuterDisposeScope();
    }
}
