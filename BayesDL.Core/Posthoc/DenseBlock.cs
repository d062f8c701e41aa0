using static TorchSharp.torch;

namespace BayesDL.Posthoc;

/// <summary>
/// One dense layer of a Laplace subset: its index and name in the network, its weights' place in the full theta
/// (<see cref="Networks.FunctionalNetwork"/>: W [out, in] row-major, then b [out]) and in the subset's vector. The Hessian
/// structures work on the augmented matrix [out, in + 1] (the bias as the last column); <see cref="ToTheta"/> and
/// <see cref="FromTheta"/> convert.
/// </summary>
internal sealed record DenseBlock(int Layer, string Name, long Offset, long SubsetOffset, long In, long Out, bool Bias)
{
    /// <summary>The layer's weights and biases.</summary>
    public long Count => Out * In + (Bias ? Out : 0);

    /// <summary>in + 1 with a bias, else in.</summary>
    public long Width => In + (Bias ? 1 : 0);

    /// <summary>How errors name the layer: <c>layer 2 'fc2' (Linear 400 -&gt; 10)</c>.</summary>
    public string Description => $"layer {Layer} '{Name}' (Linear {In} -> {Out})";

    /// <summary>[..., out, in (+1)] in the augmented layout -&gt; [..., Count] in theta's layout.</summary>
    public Tensor ToTheta(Tensor m)
    {
        long[] lead = m.shape[..^2];
        if (!Bias) return m.reshape([.. lead, Count]);
        return cat([m.narrow(-1, 0, In).reshape([.. lead, Out * In]), m.select(-1, In)], -1);
    }

    /// <summary>[..., Count] in theta's layout -&gt; [..., out, in (+1)].</summary>
    public Tensor FromTheta(Tensor v)
    {
        long[] lead = v.shape[..^1];
        Tensor w = v.narrow(-1, 0, Out * In).reshape([.. lead, Out, In]);
        return Bias ? cat([w, v.narrow(-1, Out * In, Out).unsqueeze(-1)], -1) : w;
    }

    /// <summary>Layer-major rows [count, k] in theta's layout -&gt; [out, width, k].</summary>
    public Tensor ColumnsFromTheta(Tensor rows) => FromTheta(rows.T).permute(1, 2, 0);
}
