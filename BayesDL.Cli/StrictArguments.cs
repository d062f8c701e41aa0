using Spectre.Console.Cli;

namespace BayesDL.Cli;

/// <summary>
/// Refuses arguments after <c>--</c> for commands that take none (strict parsing lets them through as "remaining"
/// arguments, which the command would silently ignore). Commands in <see cref="Takers"/> pass them on instead.
/// </summary>
internal sealed class StrictArguments(params string[] takers) : ICommandInterceptor
{
    /// <summary>Commands that use the remaining arguments (e.g. <c>script</c>, which hands them to the script).</summary>
    public IReadOnlyList<string> Takers { get; } = takers;

    /// <inheritdoc/>
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        var stray = context.Remaining.Raw;
        if (stray.Count > 0 && !Takers.Contains(context.Name, StringComparer.OrdinalIgnoreCase))
            throw new InputException($"unexpected argument(s) {string.Join(" ", stray.Select(a => $"'{a}'"))} after '--': " +
                                     $"`bayesdl {context.Name}` takes none. Run `bayesdl {context.Name} --help` for its options.");
    }
}
