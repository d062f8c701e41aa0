using System.ComponentModel;

namespace BayesDL.Cli.Training;

/// <summary>
/// The help text of <c>--activation</c>, listing the activations of the core's layer registry when it is read
/// (<see cref="TrainOptions.ActivationNames"/>), so a new element-wise kind appears in <c>train --help</c> without an edit here.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ActivationsDescription : DescriptionAttribute
{
    /// <inheritdoc />
    public override string Description =>
        "The activation between layers, any element-wise kind of the layer registry: " +
        $"{string.Join(", ", TrainOptions.ActivationNames)}. Default relu.";
}
