using System.Diagnostics;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Formats;
using LstmStreams.Settings;

namespace LstmStreams.Cli.Running;

/// <summary>What one run did, for the closing summary.</summary>
internal sealed record RunSummary(long Predictions, long Errors, TimeSpan Elapsed, PipelineMetrics Metrics)
{
    /// <summary>The run stopped because more than max-errors lines became error records.</summary>
    public bool StoppedByErrors { get; init; }

    public double ObservationsPerSecond => Predictions / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Runs parsed lines through the LstmStreams flow into a prediction writer, in an actor system of its own:
/// the part shared by <c>run</c> and <c>demo</c>.
/// </summary>
internal static class StreamRunner
{
    /// <summary>Creates the actor system for the CLI: <see cref="WithCliDefaults"/> over the reference.</summary>
    public static ActorSystem CreateSystem(Config config) =>
        ActorSystem.Create("lstm-streams", WithCliDefaults(config).WithFallback(StreamingSettings.ReferenceConfig));

    /// <summary>
    /// The user's config over the command line's defaults (Akka's log on stderr through our logger, warnings and up,
    /// no dead-letter lines: the user's <c>akka.loglevel</c> and loggers win), under two settings that always hold:
    /// nothing is logged to stdout (it carries predictions), and Akka's process-exit hook is off (the commands
    /// terminate the system themselves, with a bound: the hook would wait for every actor, and a source blocked
    /// reading an idle pipe never stops).
    /// </summary>
    public static Config WithCliDefaults(Config config) =>
        ConfigurationFactory.ParseString("""
            akka.stdout-loglevel = OFF
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            """).WithFallback(config).WithFallback(ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.loggers = ["LstmStreams.Cli.Running.StderrLogger, lstm-streams"]
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            akka.coordinated-shutdown.phases.actor-system-terminate.timeout = 60s
            """));

    /// <summary>
    /// Streams groups of observations through the model into <paramref name="predictions"/> (one write per kernel
    /// batch), error records into <paramref name="errors"/>, until the source ends or <paramref name="cancel"/>.
    /// </summary>
    /// <remarks><paramref name="parseErrors"/> counts the error records the source wrote itself (unparsable lines).
    /// Past <paramref name="maxErrors"/> error records the source stops (within 200 ms), as a bulk loader fails fast.</remarks>
    public static RunSummary Run(ActorSystem system, RecurrentModel model, StreamingSettings settings, Source<IReadOnlyList<Observation>, NotUsed> groups,
        PredictionWriter predictions, JsonlWriter errors, Progress? progress, CancellationToken cancel = default, Func<long>? parseErrors = null,
        long? maxErrors = null)
    {
        long runtimeErrors = 0;
        int stoppedByErrors = 0;
        UniqueKillSwitch? stop = null;
        long Errors() => Interlocked.Read(ref runtimeErrors) + (parseErrors?.Invoke() ?? 0);
        void CheckBudget()
        {
            if (maxErrors is { } max && Errors() > max && stop is { } s && Interlocked.Exchange(ref stoppedByErrors, 1) == 0) s.Shutdown();
        }

        void OnError(ObservationError error)
        {
            Interlocked.Increment(ref runtimeErrors);
            errors.Write(error);
            CheckBudget();
        }

        var flow = LstmStream.CreateGrouped(system, model, settings, OnError);
        var stopwatch = Stopwatch.StartNew();
        var ((killSwitch, metrics), done) = groups
            .ViaMaterialized(KillSwitches.Single<IReadOnlyList<Observation>>(), Keep.Right)
            .ViaMaterialized(flow, Keep.Both)
            .ToMaterialized(Sink.ForEach<IReadOnlyList<Prediction>>(predictions.Write), Keep.Both)
            .Run(system.Materializer());
        stop = killSwitch;

        using var registration = cancel.Register(() => killSwitch.Shutdown());
        // A live input (a pipe, a broker) may pause: what was predicted reaches the output within 200 ms.
        using var flusher = new Timer(_ =>
        {
            predictions.Flush();
            errors.Flush();
            CheckBudget(); // the source's own error records (unparsable lines) count too
        }, null, 200, 200);
        progress?.Start(() => (metrics.Emitted, metrics.MeanBatchSize, metrics.LiveSequences));
        try
        {
            done.Wait();
        }
        catch (AggregateException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
        finally
        {
            progress?.Stop();
            predictions.Flush();
            errors.Flush();
        }

        stopwatch.Stop();
        return new RunSummary(metrics.Emitted, Errors(), stopwatch.Elapsed, metrics) { StoppedByErrors = stoppedByErrors != 0 };
    }
}
