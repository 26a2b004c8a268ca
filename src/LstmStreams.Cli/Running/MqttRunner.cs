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

    /// <summary>The MQTT settings: the config section, then the two addresses (which must name one broker).</summary>
    /// <exception cref="ArgumentException">An address or a key is unusable; the message says which and why.</exception>
    public static MqttSettings Settings(Config config, string input, string output)
    {
        if (!IsAddress(input) || !IsAddress(output))
            throw new ArgumentException($"--input '{input}' and --output '{output}': MQTT needs both to be mqtt:// (or mqtts://) addresses, e.g. " +
                "--input mqtt://127.0.0.1:1883/sensors/+/obs --output mqtt://127.0.0.1:1883/sensors/{seq}/pred.");
        var (inTls, inHost, inPort, inTopic) = Parse(input, "--input");
        var (outTls, outHost, outPort, outTopic) = Parse(output, "--output");
        if (inTls != outTls || !string.Equals(inHost, outHost, StringComparison.OrdinalIgnoreCase) || inPort != outPort)
            throw new ArgumentException($"--input '{input}' and --output '{output}' name different brokers: use one broker for both.");
        var settings = MqttSettings.FromConfig(config) with { Host = inHost, Port = inPort, InputTopic = inTopic, OutputTopic = outTopic };
        if (inTls) settings = settings with { Tls = true };
        settings.Validate();
        return settings;
    }

    /// <summary>Runs until <paramref name="cancel"/>; returns the exit code.</summary>
    public static int Run(Akka.Actor.ActorSystem system, RecurrentModel model, StreamingSettings streaming, MqttSettings mqtt, JsonlWriter errors,
        Progress? progress, CancellationToken cancel)
    {
        long errorCount = 0;
        var run = MqttStream.Run(system, model, streaming, mqtt, error =>
        {
            Interlocked.Increment(ref errorCount);
            errors.Write(error);
        });
        string broker = $"{(mqtt.Tls ? "mqtts" : "mqtt")}://{mqtt.Host}:{mqtt.Port}";
        Console.Error.WriteLine($"listening on {broker}/{mqtt.InputTopic} -> {mqtt.OutputTopic} as {mqtt.ClientId}-in/-out (Ctrl-C to stop)");
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

    /// <summary>Cancels <paramref name="cancel"/> on Ctrl-C and on SIGTERM (a service manager's stop).</summary>
    public static IDisposable StopOnSignals(CancellationTokenSource cancel)
    {
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }

        var registrations = new[]
        {
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
        };
        return new Registrations(registrations);
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

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }
}
