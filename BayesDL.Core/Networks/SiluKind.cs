using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind SiLU (swish): x sigmoid(x) element-wise (Elfwing et al. 2018; Ramachandran et al. 2017), smooth and
/// non-monotone below 0, bounded below by about -0.278.
/// </summary>
public sealed class SiluKind : ElementwiseKind
{
    SiluKind() { }

    /// <summary>The declaration, for <c>SequentialBuilder.Add</c>.</summary>
    public static LayerSpec Layer { get; } = new SiluKind().Spec;

    /// <inheritdoc />
    public override string Type => "SiLU";

    /// <inheritdoc />
    public override System.Type Module => typeof(SiLU);

    internal override nn.Module<Tensor, Tensor> Create() => nn.SiLU();
    internal override Func<Tensor, Tensor> Function(nn.Module module) => h => nn.functional.silu(h);
}
