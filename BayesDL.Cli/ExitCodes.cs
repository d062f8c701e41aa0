namespace BayesDL.Cli;

/// <summary>
/// The exit codes of every <c>bayesdl</c> command: 0 success, 1 a failure at run time, 2 a usage error or bad input (an unknown
/// or misspelt option, a value of the wrong type or out of range, a missing or unusable file). Ctrl+C exits 130.
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed while running (an engine error, out of memory, a bug).</summary>
    public const int Failure = 1;

    /// <summary>The command line or its input cannot be used: nothing was run; the message says what to change.</summary>
    public const int Usage = 2;
}
