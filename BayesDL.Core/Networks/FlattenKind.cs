using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind Flatten: merges the dimensions start..end (declared 1..-1: each example into one vector). A model file
/// records [start, end] (version 1 wrote no sizes: TorchSharp's defaults).
/// </summary>
internal sealed class FlattenKind : LayerKind
{
    public override string Type => nameof(Flatten);
    public override System.Type Module => typeof(Flatten);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var f = (Flatten)module;
        return new(Type, [f.start_dim, f.end_dim], null);
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading)
    {
        long[] s = reading.Record.Sizes;
        return s.Length == 2 ? nn.Flatten(s[0], s[1]) : nn.Flatten();
    }

    internal override FunctionalLayer? Functional(nn.Module module)
    {
        // The module's dimensions count from the batch; the functional form has the draws in front.
        var f = (Flatten)module;
        long start = f.start_dim >= 0 ? f.start_dim + 1 : f.start_dim, end = f.end_dim >= 0 ? f.end_dim + 1 : f.end_dim;
        return Stateless(h => h.flatten(start, end));
    }

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (nn.Flatten(), [2, 3, 2]);
}

/// <summary>Flattens [c, h, w] (or any shape) into one feature vector per example.</summary>
internal sealed record FlattenSpec : LayerSpec
{
    public override string Name => "Flatten";
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(input.Aggregate(1L, (a, b) => a * b));
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => nn.Flatten();
}
