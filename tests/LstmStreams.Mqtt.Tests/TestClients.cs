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

    public static async Task<Publisher> ConnectAsync(int port)
    {
        var publisher = new Publisher();
        await publisher._client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
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

    private Collector(int port, string filter)
    {
        var settings = new MqttSettings { Port = port, ClientId = "test-collector-" + Guid.NewGuid().ToString("N")[..8], ReconnectMaxBackoff = TimeSpan.FromMilliseconds(500) };
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

    public static async Task<Collector> StartAsync(int port, string filter)
    {
        var collector = new Collector(port, filter);
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

    /// <summary>Predictions by sequence id: (t, y) per message, in arrival order.</summary>
    public Dictionary<string, List<(long T, float[] Y)>> Predictions()
    {
        var result = new Dictionary<string, List<(long, float[])>>();
        foreach (var (_, payload) in Messages)
        {
            var root = JsonDocument.Parse(payload).RootElement;
            string seq = root.GetProperty("seq").GetString()!;
            if (!result.TryGetValue(seq, out var list)) result[seq] = list = new();
            list.Add((root.GetProperty("t").GetInt64(), root.GetProperty("y").EnumerateArray().Select(v => v.GetSingle()).ToArray()));
        }

        return result;
    }
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
