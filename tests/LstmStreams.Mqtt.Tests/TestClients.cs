using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Akka.Event;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace LstmStreams.Mqtt.Tests;

/// <summary>A plain MQTTnet publisher: QoS 1, each publish awaited (so one topic's messages keep their order).</summary>
internal sealed class Publisher : IDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();

    private Publisher()
    {
    }

    public static async Task<Publisher> ConnectAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var publisher = new Publisher();
        await publisher._client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(version)
            .WithClientId("test-publisher-" + Guid.NewGuid().ToString("N")[..8]).Build());
        return publisher;
    }

    public async Task PublishAsync(string topic, string payload)
    {
        var result = await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.True(result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers, $"publish to {topic}: {result.ReasonCode}");
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>A subscriber on a persistent session (it reconnects after a broker restart and gets what was queued).</summary>
internal sealed class Collector : IAsyncDisposable
{
    private readonly MqttConnection _connection;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Collector(int port, string filter, MqttProtocol version)
    {
        var settings = new MqttSettings
        {
            Port = port, ClientId = "test-collector-" + Guid.NewGuid().ToString("N")[..8], ReconnectMaxBackoff = TimeSpan.FromMilliseconds(500), ProtocolVersion = version,
        };
        _connection = new MqttConnection(settings, "", 1000, NoLogger.Instance);
        _connection.Connected = async _ =>
        {
            await _connection.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
            _subscribed.TrySetResult();
        };
        _connection.Client.ApplicationMessageReceivedAsync += e =>
        {
            Messages.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload)));
            return Task.CompletedTask;
        };
    }

    public ConcurrentQueue<(string Topic, string Payload)> Messages { get; } = new();

    public static async Task<Collector> StartAsync(int port, string filter, MqttProtocol version = MqttProtocol.V5)
    {
        var collector = new Collector(port, filter, version);
        collector._connection.Start();
        await collector._subscribed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return collector;
    }

    /// <summary>Waits until <paramref name="done"/> holds of the messages so far, or fails after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyCollection<(string Topic, string Payload)>, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done(Messages))
        {
            if (clock.Elapsed > timeout) Assert.Fail($"timed out after {timeout} waiting for {what}; have {Messages.Count} messages");
            await Task.Delay(20);
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>Predictions by sequence id: (t, y) per prediction, in arrival order (a message may be one prediction
    /// object or an array of them).</summary>
    public Dictionary<string, List<(long T, float[] Y)>> Predictions()
    {
        var result = new Dictionary<string, List<(long, float[])>>();
        foreach (var (_, payload) in Messages)
        {
            var root = JsonDocument.Parse(payload).RootElement;
            foreach (var prediction in root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root])
            {
                string seq = prediction.GetProperty("seq").GetString()!;
                if (!result.TryGetValue(seq, out var list)) result[seq] = list = new();
                list.Add((prediction.GetProperty("t").GetInt64(), prediction.GetProperty("y").EnumerateArray().Select(v => v.GetSingle()).ToArray()));
            }
        }

        return result;
    }

    /// <summary>Predictions received so far, counting each element of an array payload.</summary>
    public int PredictionCount() => Messages.Sum(m => m.Payload.TrimStart().StartsWith('[') ? JsonDocument.Parse(m.Payload).RootElement.GetArrayLength() : 1);
}

/// <summary>Waits for a condition on live counters.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"timed out after {timeout}: {what()}");
            await Task.Delay(20);
        }
    }
}
