using Spectre.Console.Cli;

namespace BayesDL.Cli;

/// <summary>
/// What strict parsing lets through and the command would silently misread, refused before the command runs
/// (<see cref="InputException"/>, exit code 2): arguments after <c>--</c> for commands that take none (they arrive as
/// "remaining" arguments, which the command would ignore; commands in <see cref="Takers"/> pass them on instead), and an
/// option given more than once (<c>--samples 3 --samples 4</c>, of which Spectre keeps the last value).
/// </summary>
internal sealed class StrictArguments(OptionCatalog catalog, params string[] takers) : ICommandInterceptor
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
        if (Repeated(context.Arguments, catalog.For(context.Name)) is { } repeated)
            throw new InputException($"{repeated.Option} is given {repeated.Uses.Count} times ({string.Join(", ", repeated.Uses)}): " +
                                     $"give it once. Run `bayesdl {context.Name} --help` for its options.");
    }

    /// <summary>
    /// The first option of <paramref name="options"/> that <paramref name="args"/> give more than once before any <c>--</c>
    /// (under any of its spellings, with its value after a space, '=' or ':'; array options excepted), with each use as
    /// written; null when none is.
    /// </summary>
    static (string Option, List<string> Uses)? Repeated(IReadOnlyList<string> args, IReadOnlyList<CommandOption>? options)
    {
        if (options is null) return null;
        var uses = new Dictionary<CommandOption, List<string>>();
        for (int i = 0; i < args.Count && args[i] != "--"; i++)
        {
            string name = args[i].Split('=', ':')[0];
            // An option holding several values (an array) may be given once per value.
            if (!args[i].StartsWith('-') || options.FirstOrDefault(o => o.Names.Contains(name, StringComparer.Ordinal)) is not { } option ||
                option.ValueType.IsArray)
                continue;
            bool valueFollows = option.ValueName is not null && name.Length == args[i].Length && i + 1 < args.Count;
            string use = valueFollows ? $"{args[i]} {args[i + 1]}" : args[i];
            if (!uses.TryGetValue(option, out var list)) uses[option] = list = [];
            list.Add(use);
            if (valueFollows) i++;
        }
        return uses.FirstOrDefault(u => u.Value.Count > 1) is { Key: not null } first ? (first.Key.Names[0], first.Value) : null;
    }
}
