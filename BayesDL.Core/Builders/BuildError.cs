namespace BayesDL.Builders;

/// <summary>
/// One mistake in a model declaration: its kind, the layer it concerns (index from 0 and description;
/// -1 and "model" when it concerns the model as a whole) and a message naming the shapes and a fix.
/// </summary>
public sealed record BuildError(BuildErrorKind Kind, int LayerIndex, string Layer, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;

    /// <summary>
    /// The first out-of-range setting an options record's <c>Validate</c> reports (through <see cref="Validation.Check"/>: type,
    /// parameter, value, expectation and fix) as an <see cref="BuildErrorKind.InvalidParameter"/> error concerning
    /// <paramref name="owner"/>; empty when the settings are valid.
    /// </summary>
    internal static IReadOnlyList<BuildError> OfSettings(Action validate, string owner)
    {
        try
        {
            validate();
            return [];
        }
        catch (ArgumentException e)
        {
            return [new(BuildErrorKind.InvalidParameter, -1, owner, e.Message)];
        }
    }
}
