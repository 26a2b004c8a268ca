using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Configuration;
using LstmStreams.Core.Model;
using LstmStreams.Mqtt;
using LstmStreams.Settings;
using LstmStreams.Formats;

namespace LstmStreams.Cli.Running;

/// <summary>
/// <c>lstm-streams run --input mqtt://HOST:PORT/FILTER --output mqtt://HOST:PORT/TEMPLATE</c>: the live path.
/// The addresses override host, port, TLS (mqtts://) and topics of the <c>lstm-streams.mqtt</c> section; the run
/// lasts until Ctrl-C or SIGTERM, then drains what it took and disconnects (the sessions stay at the broker).
/// </summary>
internal static class MqttRunner
{
    /// <summary>Whether <paramref name="address"/> names a broker rather than a file.</summary>
    public static bool IsAddress(string address) =>
        address.StartsWith("mqtt://", StringComparison.OrdinalIgnoreCase) || address.StartsWith("mqtts://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The MQTT settings: the config section, then the addresses among <paramref name="input"/> and
    /// <paramref name="output"/> (one of them may be a file; when both are addresses they must name one broker).</summary>
    /// <exception cref="ArgumentException">An address or a key is unusable; the message says which and why.</exception>
    public static MqttSettings Settings(Config config, string input, string output)
    {
        if (!IsAddress(input) && !IsAddress(output))
            throw new ArgumentException($"--input '{input}' and --output '{output}': neither is an mqtt:// (or mqtts://) address.");
        var settings = MqttSettings.FromConfig(config);
        (bool Tls, string Host, int Port)? broker = null;
        foreach (var (address, option) in new[] { (input, "--input"), (output, "--output") })
        {
            if (!IsAddress(address)) continue;
            var (tls, host, port, topic) = Parse(address, option);
            if (broker is { } other && (other.Tls != tls || !string.Equals(other.Host, host, StringComparison.OrdinalIgnoreCase) || other.Port != port))
                throw new ArgumentException($"--input '{input}' and --output '{output}' name different brokers: use one broker for both.");
            broker = (tls, host, port);
            settings = option == "--input" ? settings with { InputTopic = topic } : settings with { OutputTopic = topic };
        }

        settings = settings with { Host = broker!.Value.Host, Port = broker.Value.Port };
        if (broker.Value.Tls) settings = settings with { Tls = true };
        settings.Validate();
        return settings;
    }

    /// <summary>
    /// <c>--input FILE|- --output mqtt://…</c>: publishes a prediction per observation (QoS 1) and returns once the
    /// input has ended and the broker has acknowledged every publish (0), or after Ctrl-C/SIGTERM once what was
    /// read is published (0), or when the broker connection fails for good (3).
    /// </summary>
    public static int RunFromFile(Akka.Actor.ActorSystem system, RecurrentModel model, StreamingSettings streaming, MqttSettings mqtt,
        Akka.Streams.Dsl.Source<IReadOnlyList<Pipeline.Observation>, Akka.NotUsed> groups, JsonlWriter errors, Progress? progress, CancellationToken cancel)
    {
        var (metrics, stop, published) = MqttEnds.FromGroups(system, model, streaming, mqtt, groups, errors.Write);
        using var registration = cancel.Register(stop.Shutdown);
        progress?.Start(() => (metrics.Emitted, metrics.MeanBatchSize, metrics.LiveSequences));
        try
        {
            published.Wait();
            return 0;
        }
        catch (AggregateException e)
        {
            Console.Error.WriteLine($"error: publishing to {(mqtt.Tls ? "mqtts" : "mqtt")}://{mqtt.Host}:{mqtt.Port}/{mqtt.OutputTopic} failed: {e.GetBaseException().Message}");
            return 3;
        }
        finally
        {
            progress?.Stop();
            errors.Flush();
        }
    }

    /// <summary>Runs until <paramref name="cancel"/>; returns the exit code.</summary>
    /// <remarks>With <paramref name="toFile"/>, predictions go there (written and flushed before their inputs are
    /// acknowledged) instead of to the output topic.</remarks>
    public static int Run(Akka.Actor.ActorSystem system, RecurrentModel model, StreamingSettings streaming, MqttSettings mqtt, JsonlWriter errors,
        Progress? progress, CancellationToken cancel, PredictionWriter? toFile = null, string? fileName = null)
    {
        long errorCount = 0;
        void OnError(Pipeline.ObservationError error)
        {
            Interlocked.Increment(ref errorCount);
            errors.Write(error);
        }

        var run = toFile is null ? MqttStream.Run(system, model, streaming, mqtt, OnError) : MqttEnds.ToWriter(system, model, streaming, mqtt, toFile, OnError);
        string broker = $"{(mqtt.Tls ? "mqtts" : "mqtt")}://{mqtt.Host}:{mqtt.Port}";
        Console.Error.WriteLine(toFile is null
            ? $"listening on {broker}/{mqtt.InputTopic} -> {mqtt.OutputTopic} as {mqtt.ClientId}-in/-out (Ctrl-C to stop)"
            : $"listening on {broker}/{mqtt.InputTopic} -> {fileName ?? "the output"} as {mqtt.ClientId}-in (Ctrl-C to stop)");
        progress?.Start(() => (run.Metrics.Emitted, run.Metrics.MeanBatchSize, run.Metrics.LiveSequences));
        int exit = 0;
        try
        {
            var stopped = Task.Delay(Timeout.Infinite, cancel);
            Task.WaitAny(run.Completion, stopped);
            if (run.Completion.IsFaulted)
            {
                Console.Error.WriteLine($"error: {run.Completion.Exception!.GetBaseException().Message}");
                exit = 3;
            }

            if (!run.StopAsync().Wait(TimeSpan.FromSeconds(30)))
                Console.Error.WriteLine("warning: the MQTT pipeline did not stop within 30 s; unacknowledged messages are redelivered to the next run.");
        }
        catch (AggregateException e) when (e.InnerException is not null && exit != 0)
        {
            // The failure was reported above.
        }
        finally
        {
            progress?.Stop();
            errors.Flush();
        }

        if (!Console.IsErrorRedirected)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"stopped: {run.Metrics.Emitted:N0} predictions, {Interlocked.Read(ref errorCount):N0} rejected messages ({run.Metrics.Duplicates:N0} duplicates), {run.Input.Acknowledged:N0} acknowledged, mean batch {run.Metrics.MeanBatchSize:F1}"));
            if (streaming.Persistence.Store.Kind != Persistence.StoreKind.None)
                Console.Error.WriteLine(Commands.RunCommand.StoreSummary(streaming, run.Metrics));
        }

        return exit;
    }

    private static (bool Tls, string Host, int Port, string Topic) Parse(string address, string option)
    {
        bool tls = address.StartsWith("mqtts://", StringComparison.OrdinalIgnoreCase);
        string rest = address[(tls ? "mqtts://".Length : "mqtt://".Length)..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = slash < 0 ? rest : rest[..slash];
        string topic = slash < 0 ? "" : rest[(slash + 1)..];
        if (authority.Contains('@', StringComparison.Ordinal))
            throw new ArgumentException($"{option} '{address}': credentials do not belong in the address (it is shown in logs); set {MqttSettings.UsernameVariable} and {MqttSettings.PasswordVariable}.");
        if (topic.Length == 0)
            throw new ArgumentException($"{option} '{address}' names no topic: add it after the port, e.g. mqtt://127.0.0.1:1883/sensors/+/obs.");
        int colon = authority.LastIndexOf(':');
        string host = colon > authority.LastIndexOf(']') ? authority[..colon] : authority;
        int port = tls ? 8883 : 1883;
        if (colon > authority.LastIndexOf(']') && !int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port))
            throw new ArgumentException($"{option} '{address}': the port '{authority[(colon + 1)..]}' is not a number.");
        host = host.Trim('[', ']');
        if (host.Length == 0) throw new ArgumentException($"{option} '{address}' names no host.");
        return (tls, host, port, topic);
    }
}
