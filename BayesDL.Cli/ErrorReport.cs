using System.Text.RegularExpressions;
using BayesDL.Validation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BayesDL.Cli;

/// <summary>
/// The one exception handler of every command: prints one error line in BayesDL's words and returns the exit code of
/// <see cref="ExitCodes"/>. Usage errors (exit 2): an unknown or misspelt option (named, with the nearest valid spelling and the command's
/// options), a value of the wrong type (named with its option), a missing argument or value, a failed settings check, an
/// <see cref="InputException"/> (an option given twice, arguments after <c>--</c>), and a <see cref="FileFormatException"/> (its message
/// names the file, what was expected and found). Anything else is a failure at run time (exit 1); cancellation exits 130.
/// </summary>
internal static partial class ErrorReport
{
    /// <summary>
    /// Reports <paramref name="error"/> on <paramref name="console"/> (the error console: standard error); <paramref name="args"/> is the
    /// command line.
    /// </summary>
    public static int Handle(Exception error, IReadOnlyList<string> args, IAnsiConsole console, OptionCatalog catalog)
    {
        if (error is OperationCanceledException) return 130;
        if (error is CommandParseException { Message: var m } parse && m.StartsWith("Unknown command", StringComparison.Ordinal)
            && parse.Pretty is { } pretty)
        {
            console.Write(pretty);
            return ExitCodes.Usage;
        }
        (string message, int code) = Describe(error, args, catalog);
        console.MarkupLine($"[red]Error:[/] {Markup.Escape(message)}");
        return code;
    }

    static (string Message, int Code) Describe(Exception error, IReadOnlyList<string> args, OptionCatalog catalog)
    {
        string? command = args.Count > 0 && catalog.For(args[0]) is not null ? args[0] : null;
        string help = command is null ? "Run `bayesdl --help` for the commands." : $"Run `bayesdl {command} --help` for its options.";
        switch (error)
        {
            case InputException or FileFormatException:
                return (error.Message, ExitCodes.Usage);
            case CommandParseException when UnknownOption().Match(error.Message) is { Success: true } unknown:
                return (UnknownOptionMessage(unknown.Groups[1].Value, args, command, catalog), ExitCodes.Usage);
            case CommandRuntimeException when ConversionFailed().Match(error.Message) is { Success: true } conversion:
                return (BadValueMessage(conversion.Groups[1].Value, args, command, catalog) ?? $"{error.Message} {help}", ExitCodes.Usage);
            case CommandRuntimeException:
                // Spectre's parse errors, a missing required argument, and the commands' own settings checks (Validate).
                return ($"{error.Message.TrimEnd()} {help}", ExitCodes.Usage);
            default:
                return ($"{error.GetType().Name}: {error.Message}", ExitCodes.Failure);
        }
    }

    /// <summary>"unknown option '--sampels' for `bayesdl evaluate`; did you mean '--samples'? Its options: ...".</summary>
    static string UnknownOptionMessage(string name, IReadOnlyList<string> args, string? command, OptionCatalog catalog)
    {
        // Spectre reports the name without dashes; the command line says whether it was long or short.
        string written = args.FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && NameOf(a)[2..] == name) is { } longForm
            ? NameOf(longForm) : "-" + name;
        var options = catalog.For(command);
        string where = command is null ? "`bayesdl`" : $"`bayesdl {command}`";
        if (options is null)
            return $"unknown option '{written}' for {where}. Run `bayesdl --help` for the commands.";
        var names = options.SelectMany(o => o.Names).ToList();
        string? nearest = OptionCatalog.Nearest(written, names);
        return $"unknown option '{written}' for {where}" + (nearest is null ? "." : $"; did you mean '{nearest}'?") +
               $" Its options: {string.Join(", ", options.Select(o => string.Join("/", o.Names)))}.";
    }

    /// <summary>
    /// "--samples abc: expected a whole number, e.g. --samples 100", or "--samples needs a value"; null when the option is not found.
    /// </summary>
    static string? BadValueMessage(string value, IReadOnlyList<string> args, string? command, OptionCatalog catalog)
    {
        var options = catalog.For(command);
        CommandOption? Find(string token) => options?.FirstOrDefault(o => o.Names.Contains(NameOf(token)));
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith('-') || Find(args[i]) is not { ValueName: not null } option) continue;
            string? given = args[i].Length > NameOf(args[i]).Length ? args[i][(NameOf(args[i]).Length + 1)..]
                          : i + 1 < args.Count ? args[i + 1] : null;
            if (given == value) return $"{NameOf(args[i])} {value}: expected {Kind(option.ValueType)}{Example(option)}.";
        }
        // Spectre reports an option given without its value as an unconvertible placeholder: find that option.
        for (int i = 0; i < args.Count; i++)
            if (args[i].StartsWith('-') && NameOf(args[i]) == args[i] && Find(args[i]) is { ValueName: not null } option &&
                (i + 1 == args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                return $"{args[i]} needs a value: {Kind(option.ValueType)}{Example(option)}.";
        return null;
    }

    /// <summary>The option part of a token: <c>--samples</c> of <c>--samples=5</c> or <c>--samples:5</c>.</summary>
    static string NameOf(string token) => token.Split('=', ':')[0];

    static string Kind(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) || t == typeof(short) => "a whole number",
        var t when t == typeof(uint) || t == typeof(ulong) => "a whole number >= 0",
        var t when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "a number",
        var t when t == typeof(bool) => "true or false",
        var t when t.IsEnum => "one of " + string.Join(", ", Enum.GetNames(t)),
        var t => $"a value of type {t.Name}",
    };

    static string Example(CommandOption option) => option.Default is { } d ? $", e.g. {option.Names[0]} {d}" : "";

    [GeneratedRegex(@"^Unknown option '(.+)'\.$")]
    private static partial Regex UnknownOption();

    // The type as Spectre names it: Int32, or Nullable`1 for an optional value.
    [GeneratedRegex(@"^Failed to convert '(.*)' to [\w`]+\.$")]
    private static partial Regex ConversionFailed();
}
