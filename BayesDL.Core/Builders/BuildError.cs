namespace BayesDL.Builders;

/// <summary>
/// One mistake in a model declaration: its kind, the layer it concerns (index from 0 and description;
/// -1 and "model" when it concerns the model as a whole) and a message naming the shapes and a fix.
/// </summary>
public sealed record BuildError(BuildErrorKind Kind, int LayerIndex, string Layer, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
