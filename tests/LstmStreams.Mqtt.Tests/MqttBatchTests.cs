using System.Text.Json;
using Akka.Actor;
using Akka.Streams.Dsl;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Settings;
using MQTTnet.Formatter;

namespace LstmStreams.Mqtt.Tests;

/// <summary>Many observations per message in, batched predictions out, and MQTT 3.1.1, against a real Mosquitto.</summary>
public sealed class MqttBatchTests() : BrokerTests("mqtt-batch-tests")
{

    [Theory]
    [InlineData("array")]
    [InlineData("jsonl")]
    public async Task A_message_of_many_observations_gives_one_prediction_each_equal_to_PyTorch_in_per_sequence_order(string form)
    {
        const int PerMessage = 25;
        var settings = Settings("many-" + form) with { InputTopic = "plant/obs", SequenceFrom = SequenceIdFrom.Payload, OutputTopic = "plant/pred/{seq}" };
        await using var collector = await Collector.StartAsync(_broker.Port, "plant/pred/#");
        var errors = new List<ObservationError>();
        var run = MqttStream.Run(_system, _model, Streaming, settings, e => { lock (errors) errors.Add(e); });
        await run.Subscribed.WaitAsync(Patience);

        string[] lines = InterleavedLines();
        var payloads = lines.Chunk(PerMessage).Select(chunk => form == "array" ? "[" + string.Join(",\n ", chunk) + "]" : string.Join("\r\n", chunk) + "\n").ToList();
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (string payload in payloads) await publisher.PublishAsync("plant/obs", payload);
        }

        await collector.WaitUntilAsync(m => m.Count >= lines.Length, Patience, $"{lines.Length} predictions");
        await Eventually.TrueAsync(() => run.Input.Acknowledged == payloads.Count, Patience, () => $"acknowledged {run.Input.Acknowledged} of {payloads.Count} messages");
        await run.StopAsync();

        Assert.Empty(errors);
        Assert.Equal(payloads.Count, run.Input.Received);
        Assert.Equal(lines.Length, run.Metrics.Emitted);
        // Per sequence, the predictions arrive in the order of their observations (t increases as they come).
        AssertInOrder(collector);
        MqttStreamTests.AssertMatches(InterleavedExpected(), collector.Predictions());
    }

    [Fact]
    public async Task An_array_with_bad_elements_makes_only_those_error_records_and_the_message_is_acknowledged_once_the_others_are_published()
    {
        var settings = Settings("bad-element") with { ErrorTopic = "sensors/errors" };
        await using var predictions = await Collector.StartAsync(_broker.Port, "sensors/+/pred");
        var errors = new List<ObservationError>();
        var run = MqttStream.Run(_system, _model, Streaming, settings, e => { lock (errors) errors.Add(e); });
        await run.Subscribed.WaitAsync(Patience);

        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            await publisher.PublishAsync("sensors/a/obs", """
                [{"x": [0.1, 0.2, 0.3, 0.4]},
                 {"x": [0.1, "0.2", 0.3, 0.4]},
                 {"seq": "other", "x": [0.5, 0.6, 0.7, 0.8]},
                 {"t": 7},
                 {"x": [0.9, 1.0, 1.1, 1.2]}]
                """);
            await publisher.PublishAsync("sensors/b/obs", """[{"x": [0.1, 0.2, 0.3, 0.4]}, {"x": [0.1, 0.2""");
        }

        await predictions.WaitUntilAsync(m => m.Count >= 4, Patience, "4 predictions");
        await Eventually.TrueAsync(() => run.Input.Acknowledged == 2, Patience, () => $"acknowledged {run.Input.Acknowledged} of 2 messages");
        await run.StopAsync();

        // The topic names the sequence: an element's own "seq" does not move it elsewhere.
        var got = predictions.Predictions();
        Assert.Equal(["a", "b"], got.Keys.Order());
        Assert.Equal([0L, 1, 2], got["a"].Select(p => p.T));
        Assert.Equal([0L], got["b"].Select(p => p.T));
        lock (errors)
        {
            Assert.Equal([2L, 4, 7], errors.Select(e => e.Position).Order());
            Assert.Contains("element 1", errors.Single(e => e.Position == 2).Reason);
            Assert.Contains("missing \"x\"", errors.Single(e => e.Position == 4).Reason);
            Assert.Contains("not valid JSON from element 1", errors.Single(e => e.Position == 7).Reason);
        }

        Assert.Equal(0, run.Input.Unacknowledged);
        var again = MqttStream.Run(_system, _model, Streaming, settings);
        await again.Subscribed.WaitAsync(Patience);
        await Task.Delay(500);
        await again.StopAsync();
        Assert.Equal(0, again.Input.Received);
    }

    [Fact]
    public async Task Batched_output_publishes_arrays_of_at_most_output_batch_predictions_and_a_part_full_batch_after_the_linger()
    {
        const int Batch = 8;
        var settings = Settings("out-batch") with
        {
            InputTopic = "plant/obs", SequenceFrom = SequenceIdFrom.Payload, OutputTopic = "plant/pred", OutputBatch = Batch, OutputLinger = TimeSpan.FromMilliseconds(50),
        };
        await using var collector = await Collector.StartAsync(_broker.Port, "plant/pred");
        var run = MqttStream.Run(_system, _model, Streaming, settings);
        await run.Subscribed.WaitAsync(Patience);

        string[] lines = InterleavedLines();
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (string line in lines) await publisher.PublishAsync("plant/obs", line);
        }

        await collector.WaitUntilAsync(_ => collector.PredictionCount() >= lines.Length, Patience, $"{lines.Length} predictions");
        await Eventually.TrueAsync(() => run.Input.Acknowledged == lines.Length, Patience, () => $"acknowledged {run.Input.Acknowledged} of {lines.Length}");
        await run.StopAsync();

        var sizes = collector.Messages.Select(m => JsonDocument.Parse(m.Payload).RootElement).Select(root => root.ValueKind == JsonValueKind.Array ? root.GetArrayLength() : -1).ToList();
        Assert.All(sizes, size => Assert.InRange(size, 1, Batch));
        Assert.Contains(Batch, sizes);
        Assert.True(sizes.Count < lines.Length, $"{sizes.Count} messages for {lines.Length} predictions: nothing was batched");
        Assert.Equal(lines.Length, sizes.Sum());
        AssertInOrder(collector);
        MqttStreamTests.AssertMatches(InterleavedExpected(), collector.Predictions());

        // A lone prediction is not held back beyond the linger.
        int before = collector.Messages.Count;
        var again = MqttStream.Run(_system, _model, Streaming, settings);
        await again.Subscribed.WaitAsync(Patience);
        using (var publisher = await Publisher.ConnectAsync(_broker.Port)) await publisher.PublishAsync("plant/obs", """{"seq": "lone", "x": [0.1, 0.2, 0.3, 0.4]}""");
        await collector.WaitUntilAsync(m => m.Count > before, Patience, "the lone prediction");
        await again.StopAsync();
        Assert.Equal(1, JsonDocument.Parse(collector.Messages.Last().Payload).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Predictions_round_trip_over_MQTT_3_1_1_and_every_input_is_acknowledged()
    {
        var settings = Settings("v311") with { ProtocolVersion = MqttProtocol.V311 };
        await using var collector = await Collector.StartAsync(_broker.Port, "sensors/+/pred", MqttProtocol.V311);
        var run = MqttStream.Run(_system, _model, Streaming, settings);
        await run.Subscribed.WaitAsync(Patience);

        var (messages, expected) = MqttStreamTests.FixtureSequences(withT: true);
        using (var publisher = await Publisher.ConnectAsync(_broker.Port, MqttProtocolVersion.V311))
        {
            foreach (var (topic, payload) in messages) await publisher.PublishAsync(topic, payload);
        }

        await collector.WaitUntilAsync(m => m.Count >= messages.Count, Patience, $"{messages.Count} predictions");
        await Eventually.TrueAsync(() => run.Input.Acknowledged == messages.Count, Patience, () => $"acknowledged {run.Input.Acknowledged} of {messages.Count}");
        await run.StopAsync();
        MqttStreamTests.AssertMatches(expected, collector.Predictions());

        // The 3.1.1 session (clean session off) kept the subscription: what is published while the run is down
        // waits at the broker for the next run.
        using (var publisher = await Publisher.ConnectAsync(_broker.Port, MqttProtocolVersion.V311))
            await publisher.PublishAsync("sensors/late/obs", """{"x": [0.1, 0.2, 0.3, 0.4], "t": 1}""");
        var again = MqttStream.Run(_system, _model, Streaming, settings);
        await collector.WaitUntilAsync(m => m.Any(x => x.Topic == "sensors/late/pred"), Patience, "the prediction of the message queued while down");
        await Eventually.TrueAsync(() => again.Input.Acknowledged == 1, Patience, () => $"acknowledged {again.Input.Acknowledged} of 1");
        await Task.Delay(500);
        await again.StopAsync();

        // The first run's manual PUBACKs took under 3.1.1: the broker redelivered none of its messages.
        Assert.Equal(1, again.Input.Received);
    }

    [Fact]
    public async Task A_broker_restart_during_batched_input_and_output_loses_nothing_and_applies_nothing_twice()
    {
        var settings = Settings("restart-batches") with { OutputBatch = 4, OutputLinger = TimeSpan.FromMilliseconds(20) };
        await using var collector = await Collector.StartAsync(_broker.Port, "sensors/+/pred");
        var slow = Flow.Create<Prediction>().SelectAsync(1, async p =>
        {
            await Task.Delay(1);
            return p;
        });
        var run = MqttStream.Run(_system, _model, Streaming, settings, beforeSink: slow);
        await run.Subscribed.WaitAsync(Patience);

        // Each sequence's observations (explicit t) in arrays of 5, the arrays of the sequences interleaved.
        var (messages, expected) = MqttStreamTests.FixtureSequences(withT: true);
        var chunks = messages.GroupBy(m => m.Topic).Select(g => g.Chunk(5).Select(c => (Topic: g.Key, Payload: "[" + string.Join(",", c.Select(m => m.Payload)) + "]")).ToList()).ToList();
        var batches = Enumerable.Range(0, chunks.Max(c => c.Count)).SelectMany(i => chunks.Where(c => i < c.Count).Select(c => c[i])).ToList();
        int half = batches.Count / 2;
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (var (topic, payload) in batches.Take(half)) await publisher.PublishAsync(topic, payload);
        }

        await collector.WaitUntilAsync(_ => collector.PredictionCount() >= 10, Patience, "the first predictions");
        _broker.Restart();
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (var (topic, payload) in batches.Skip(half)) await publisher.PublishAsync(topic, payload);
        }

        int wanted = expected.Values.Sum(v => v.Count);
        await collector.WaitUntilAsync(_ => collector.Predictions().Sum(kv => kv.Value.Select(p => p.T).Distinct().Count()) >= wanted, Patience, $"{wanted} distinct predictions");
        await run.StopAsync();

        // Each (seq, t) is there with PyTorch's value; one delivered twice has the same value (computed once).
        MqttStreamTests.AssertMatches(expected, collector.Predictions().ToDictionary(kv => kv.Key, kv => kv.Value.DistinctBy(p => p.T).ToList()));
        foreach (var (_, list) in collector.Predictions())
        {
            foreach (var group in list.GroupBy(p => p.T))
                Assert.All(group, p => Assert.Equal(group.First().Y, p.Y));
        }
    }

    /// <summary>Each sequence's predictions arrived in increasing t (the fixture's t, or the count when absent).</summary>
    private static void AssertInOrder(Collector collector) =>
        Assert.All(collector.Predictions(), kv => Assert.True(kv.Value.Zip(kv.Value.Skip(1)).All(pair => pair.Item1.T < pair.Item2.T),
            $"{kv.Key}: t in arrival order {string.Join(", ", kv.Value.Select(p => p.T))}"));
}
