using System.ComponentModel;
using System.Reflection;
using Spectre.Console.Cli;

namespace BayesDL.Cli;

/// <summary>
/// One option of a command as its settings declare it: every spelling (<c>--samples</c>, <c>-h</c>), the value name, the default.
/// </summary>
/// <param name="Names">The spellings with their dashes, long names first.</param>
/// <param name="ValueName">The value's placeholder (<c>T</c> in <c>--samples &lt;T&gt;</c>), or null for a flag.</param>
/// <param name="ValueType">The property's type, for saying what a value must look like.</param>
/// <param name="Default">The declared default value, shown as an example; null when none.</param>
internal sealed record CommandOption(IReadOnlyList<string> Names, string? ValueName, Type ValueType, object? Default);

/// <summary>
/// The options each command accepts, read from its settings type, and the nearest valid spelling of a misspelt one
/// (optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1).
/// </summary>
internal sealed class OptionCatalog
{
    readonly Dictionary<string, IReadOnlyList<CommandOption>> _byCommand = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every option Spectre adds to every command.</summary>
    static readonly CommandOption Help = new(["--help", "-h"], null, typeof(bool), null);

    /// <summary>Records the options of <typeparamref name="TCommand"/> under <paramref name="name"/>.</summary>
    public void Add<TCommand>(string name) where TCommand : ICommand
    {
        Type settings = typeof(TCommand).GetInterfaces()
            .First(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ICommand<>)).GetGenericArguments()[0];
        var options = settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<CommandOptionAttribute>()))
            .Where(x => x.Attribute is not null && !x.Attribute.IsHidden)
            .Select(x => new CommandOption(
                x.Attribute!.LongNames.Select(n => "--" + n).Concat(x.Attribute.ShortNames.Select(n => "-" + n)).ToList(),
                x.Attribute.ValueName, x.Property.PropertyType, x.Property.GetCustomAttribute<DefaultValueAttribute>()?.Value))
            .Append(Help)
            .ToList();
        _byCommand[name] = options;
    }

    /// <summary>The options of <paramref name="command"/>, or null for a name that is not a command.</summary>
    public IReadOnlyList<CommandOption>? For(string? command) =>
        command is not null && _byCommand.TryGetValue(command, out var options) ? options : null;

    /// <summary>
    /// The valid spelling nearest to <paramref name="unknown"/> (compared without case), when it is close enough to be a
    /// typo: at most 2 edits, or a third of the longer name's letters.
    /// </summary>
    public static string? Nearest(string unknown, IEnumerable<string> valid)
    {
        var best = valid.Select(v => (Name: v, Distance: Distance(unknown.ToLowerInvariant(), v.ToLowerInvariant())))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).FirstOrDefault();
        if (best.Name is null) return null;
        int allowed = Math.Max(2, Math.Max(unknown.Length, best.Name.Length) / 3);
        return best.Distance <= allowed ? best.Name : null;
    }

    /// <summary>Optimal string alignment distance between <paramref name="a"/> and <paramref name="b"/>.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
