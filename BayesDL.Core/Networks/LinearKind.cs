using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind Linear, y = x W^T + b with W [out, in] and an optional b [out]. A model file records the sizes
/// [in, out, bias 0/1]; the functional form takes W then b per draw: h [S, batch, in] -&gt; h W_s^T + b_s [S, batch, out].
/// </summary>
internal sealed class LinearKind : LayerKind
{
    public override string Type => nameof(Linear);
    public override System.Type Module => typeof(Linear);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var l = (Linear)module;
        return new(Type, [l.in_features, l.out_features, l.bias is null ? 0L : 1L], null);
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading)
    {
        long[] s = reading.Sizes(3);
        return nn.Linear(s[0], s[1], hasBias: s[2] == 1);
    }

    internal override long Weights(LayerRecord record) => Product(record.Sizes, 0, 1);

    internal override FunctionalLayer? Functional(nn.Module module)
    {
        var l = (Linear)module;
        return Dense(l.weight!, l.bias, null);
    }

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (nn.Linear(3, 4), [3]);

    /// <summary>
    /// The functional form of a dense layer with weight W [out, in] and bias b [out] (or none), under <paramref name="prior"/>.
    /// </summary>
    internal static FunctionalLayer Dense(Tensor weight, Tensor? bias, Layers.PriorSpec? prior) =>
        new(bias is null
                ? [new("weight", weight.shape, weight, prior)]
                : [new("weight", weight.shape, weight, prior), new("bias", bias.shape, bias, prior)],
            (h, p) => Forward(h, p[0], p.Count > 1 ? p[1] : null));

    /// <summary>h [S, batch, ..., in], W [S, out, in], b [S, out] -&gt; h W^T + b [S, batch, ..., out], one batched product over the
    /// draws.</summary>
    static Tensor Forward(Tensor h, Tensor w, Tensor? b)
    {
        Tensor rows = h.dim() == 3 ? h : h.reshape(h.shape[0], -1, h.shape[^1]);
        // b + h W^T in one call; TorchSharp's baddbmm takes (batch1, batch2, input), not PyTorch's order, and its float
        // factors make no Scalar: `y + b` makes a temporary Scalar that the finalizer may free while libtorch still reads it,
        // which once crashed a 10,000-draw SWAG prediction (docs/benchmarks.md, "A crash in TorchSharp's temporary scalars").
        Tensor y = b is null ? bmm(rows, w.transpose(1, 2)) : baddbmm(rows, w.transpose(1, 2), b.unsqueeze(1));
        return h.dim() == 3 ? y : y.reshape([.. h.shape[..^1], w.shape[1]]);
    }
}

/// <summary>A deterministic dense layer y = W x + b.</summary>
internal sealed record LinearSpec(long In, long Out, bool Bias) : LayerSpec
{
    public override string Name => $"Linear({In} -> {Out})";
    public override IReadOnlyList<long> DeclaredInput => [In];
    public override long WeightCount => In * Out + (Bias ? Out : 0);
    internal override string? Invalid() => In < 1 || Out < 1 ? $"{Name}: widths must be >= 1; found in {In}, out {Out}." : null;
    internal override ShapeStep Infer(IReadOnlyList<long> input) =>
        input.Count == 1 && input[0] == In ? ShapeStep.Ok(Out) : ShapeStep.Expect($"[{In}]");
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => context.WeightLayer(nn.Linear(In, Out, hasBias: Bias));
}
