using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind Dropout: standard dropout with rate p (off in evaluation mode). A model file records P. It has no
/// functional form: in training it is random given the weights.
/// </summary>
internal sealed class DropoutKind : LayerKind
{
    public override string Type => nameof(Dropout);
    public override System.Type Module => typeof(Dropout);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner) =>
        new(Type, [], null, Settings: new() { ["P"] = ((Dropout)module).p });

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading) => nn.Dropout(reading.Setting("P"));

    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() => (nn.Dropout(0.3), [6]);
}

/// <summary>Standard dropout (off in evaluation mode); the shape passes through.</summary>
internal sealed record DropoutSpec(double Rate) : LayerSpec
{
    public override string Name => $"Dropout(p = {Rate})";
    internal override string? Invalid() => Rate is >= 0 and < 1 ? null : $"{Name}: the rate p must be in [0, 1); found {Rate}.";
    internal override ShapeStep Infer(IReadOnlyList<long> input) => ShapeStep.Ok(input.ToArray());
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => nn.Dropout(Rate);
}
