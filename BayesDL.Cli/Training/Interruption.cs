using System.Runtime.InteropServices;

namespace BayesDL.Cli.Training;

/// <summary>
/// Ctrl+C (SIGINT) during training: the first one is caught and only recorded (<see cref="Requested"/>), so the command can
/// finish the epoch under way, keep its checkpoint and exit 130; <paramref name="announce"/> tells the user so. A second one
/// is left to the system, which ends the process at once (the checkpoint of the last finished epoch stays as it was: it is
/// written atomically).
/// </summary>
internal sealed class Interruption(Action announce) : IDisposable
{
    /// <summary>The exit code of a command stopped by Ctrl+C (128 + SIGINT), as shells report it.</summary>
    public const int ExitCode = 130;

    int _signals;
    PosixSignalRegistration? _registration;

    /// <summary>Starts listening for SIGINT.</summary>
    public Interruption Listen()
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            if (Interlocked.Increment(ref _signals) > 1) return;
            context.Cancel = true;
            announce();
        });
        return this;
    }

    /// <summary>True once Ctrl+C has been pressed.</summary>
    public bool Requested => Volatile.Read(ref _signals) > 0;

    /// <inheritdoc/>
    public void Dispose() => _registration?.Dispose();
}
