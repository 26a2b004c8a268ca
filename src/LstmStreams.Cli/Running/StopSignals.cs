using System.Runtime.InteropServices;

namespace LstmStreams.Cli.Running;

/// <summary>
/// Ctrl-C and SIGTERM as one cancellation: the first asks the command to stop gracefully (it prints what it does),
/// a second Ctrl-C ends the process at once. Dispose to restore the defaults.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _sigterm;
    private readonly ConsoleCancelEventHandler _ctrlC;

    /// <param name="what">What stopping does, e.g. "emitting what was admitted and writing sequence states".</param>
    public StopSignals(string what)
    {
        _ctrlC = (_, e) =>
        {
            if (_stop.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
            e.Cancel = true;
            Console.Error.WriteLine($"{NewLineOnTerminal}stopping: {what} (Ctrl-C again to quit at once)");
            _stop.Cancel();
        };
        Console.CancelKeyPress += _ctrlC;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Console.Error.WriteLine($"{NewLineOnTerminal}stopping (SIGTERM): {what}");
            _stop.Cancel();
        });
    }

    /// <summary>On a terminal the progress line has no newline yet: the message starts on a line of its own.</summary>
    private static string NewLineOnTerminal => Console.IsErrorRedirected ? "" : "\n";

    /// <summary>Cancelled by the first Ctrl-C or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    public void Dispose()
    {
        Console.CancelKeyPress -= _ctrlC;
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
