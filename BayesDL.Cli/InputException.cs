namespace BayesDL.Cli;

/// <summary>
/// A user input a command cannot use (exit code <see cref="ExitCodes.Usage"/>); the message names the option or argument, its
/// value and what was expected.
/// </summary>
internal sealed class InputException(string message) : Exception(message);
