using System.ComponentModel;
using BayesDL.Cli.Scripting;
using Spectre.Console.Cli;

namespace BayesDL.Cli.Commands;

/// <summary>
/// Runs a C# script: <c>bayesdl script scripts/bayes-rule.csx [args...] [-- more args]</c>. Compile errors are listed
/// with file, line and column. Exit codes (<see cref="ExitCodes"/>): 2 for a missing script or compile errors, 1 when the
/// script fails at run time. Arguments after <c>--</c> (which may start with dashes) go to the script after the others.
/// </summary>
public sealed class ScriptCommand : AsyncCommand<ScriptCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<path>")]
        [Description("The .csx file to run.")]
        public string Path { get; init; } = "";

        [CommandArgument(1, "[args]")]
        [Description("Arguments passed to the script (its Args global).")]
        public string[] Args { get; init; } = [];

        [CommandOption("--quick")]
        [Description("Quick mode (same as BAYESDL_QUICK=1): fewer epochs and samples.")]
        public bool Quick { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        bool quick = settings.Quick || Environment.GetEnvironmentVariable("BAYESDL_QUICK") == "1";
        if (quick) Environment.SetEnvironmentVariable("BAYESDL_QUICK", "1");
        var outcome = await CsxRunner.RunAsync(settings.Path, [.. settings.Args, .. context.Remaining.Raw], quick);
        if (outcome.ExitCode != 0) Console.Error.WriteLine(outcome.Error);
        return outcome.ExitCode;
    }
}
