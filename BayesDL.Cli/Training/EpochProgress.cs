using System.Globalization;
using Spectre.Console;

namespace BayesDL.Cli.Training;

/// <summary>One finished epoch as <c>bayesdl train</c> shows it: loss per example, KL (when the method has one), rows per second.</summary>
internal sealed record EpochLine(int Epoch, double Loss, double? KL, double Seconds);

/// <summary>
/// Training progress: a Spectre.Console progress bar (epoch, loss, KL, rows per second, elapsed time and ETA) when standard
/// output is an interactive terminal, one plain line per epoch when it is redirected, nothing with <c>--quiet</c>.
/// </summary>
internal sealed class EpochProgress
{
    readonly IAnsiConsole _console;
    readonly bool _quiet;
    readonly long _rows;
    readonly int _epochs;

    public EpochProgress(IAnsiConsole console, bool quiet, long rows, int epochs) =>
        (_console, _quiet, _rows, _epochs) = (console, quiet, rows, epochs);

    /// <summary>Whether a live progress bar is drawn (an interactive terminal, not redirected, not quiet).</summary>
    bool Live => !_quiet && _console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>
    /// Runs <paramref name="train"/> (which calls its argument after every epoch, from <paramref name="first"/> on) with the
    /// progress shown; <paramref name="what"/> names the run in the bar.
    /// </summary>
    public void Run(string what, int first, Action<Action<EpochLine>> train)
    {
        if (!Live)
        {
            train(Print);
            return;
        }
        _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape($"{what}: epoch {first - 1}/{_epochs}"), maxValue: _epochs);
                task.Value = first - 1;
                train(line =>
                {
                    task.Description = Markup.Escape($"{what}: {Describe(line)}");
                    task.Value = line.Epoch;
                });
            });
    }

    void Print(EpochLine line)
    {
        // Straight to the output, unwrapped: one line per epoch for logs and scripts.
        if (!_quiet) _console.Profile.Out.Writer.WriteLine(Describe(line));
    }

    string Describe(EpochLine line) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {line.Epoch}/{_epochs}: loss {line.Loss:F4}{(line.KL is double kl ? $", KL {kl:F1}" : "")}, " +
        $"{(line.Seconds > 0 ? _rows / line.Seconds : 0):F0} rows/s ({line.Seconds:F2} s)");
}
