using Akka.Actor;
using Akka.Event;

namespace LstmStreams.Cli.Running;

/// <summary>
/// Akka's log events on stderr. The CLI's stdout carries data (predictions, --json figures), so Akka's
/// default standard-out logger must never write there.
/// </summary>
public sealed class StderrLogger : ReceiveActor
{
    /// <summary>Created by Akka from <c>akka.loggers</c>.</summary>
    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine($"[{e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant()}] {e.LogSource}: {e.Message}"));
    }
}
