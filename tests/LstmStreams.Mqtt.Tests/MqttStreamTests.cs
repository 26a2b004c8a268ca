using System.Globalization;
using System.Text.Json;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Mqtt.Tests;

/// <summary>The MQTT source and sink against a real Mosquitto broker, checked with PyTorch's numbers.</summary>
public sealed class MqttStreamTests() : BrokerTests("mqtt-tests")
{

    [Fact]
    public async Task Predictions_read_back_over_MQTT_equal_PyTorch_outputs_on_interleaved_sequences()
    {
        var settings = Settings("parity") with { InputTopic = "plant/obs", SequenceFrom = SequenceIdFrom.Payload, OutputTopic = "plant/pred/{seq}" };
        await using var collector = await Collector.StartAsync(_broker.Port, "plant/pred/#");
        var errors = new List<ObservationError>();
        var run = MqttStream.Run(_system, _model, Streaming, settings, e => { lock (errors) errors.Add(e); });
        await run.Subscribed.WaitAsync(Patience);

        string[] lines = File.ReadAllLines(Path.Combine(Fixtures, "interleaved.jsonl"));
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (string line in lines) await publisher.PublishAsync("plant/obs", line);
        }

        await collector.WaitUntilAsync(m => m.Count >= lines.Length, Patience, $"{lines.Length} predictions");
        await Eventually.TrueAsync(() => run.Input.Acknowledged == lines.Length, Patience, () => $"acknowledged {run.Input.Acknowledged} of {lines.Length}");
        await run.StopAsync();

        Assert.Empty(errors);
        Assert.All(collector.Messages, m => Assert.Equal("plant/pred/" + JsonDocument.Parse(m.Payload).RootElement.GetProperty("seq").GetString(), m.Topic));
        AssertMatches(LstmStreams.Tests.Shared.PredictionFiles.Read(Path.Combine(Fixtures, "interleaved_expected.jsonl")), collector.Predictions());
        Assert.Equal(0, run.Input.Unacknowledged);
    }

    [Fact]
    public async Task The_sequence_id_is_the_topic_level_under_the_wildcard()
    {
        var settings = Settings("topic") with { InputTopic = "sensors/+/obs", OutputTopic = "sensors/{seq}/pred" };
        await using var collector = await Collector.StartAsync(_broker.Port, "sensors/+/pred");
        var run = MqttStream.Run(_system, _model, Streaming, settings);
        await run.Subscribed.WaitAsync(Patience);

        var (messages, expected) = FixtureSequences(withT: false);
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (var (topic, payload) in messages) await publisher.PublishAsync(topic, payload);
        }

        await collector.WaitUntilAsync(m => m.Count >= messages.Count, Patience, $"{messages.Count} predictions");
        await run.StopAsync();

        Assert.All(collector.Messages, m => Assert.Equal($"sensors/{JsonDocument.Parse(m.Payload).RootElement.GetProperty("seq").GetString()}/pred", m.Topic));
        AssertMatches(expected, collector.Predictions());
    }

    [Fact]
    public async Task Bad_payloads_become_error_records_are_acknowledged_and_the_stream_continues()
    {
        var settings = Settings("bad") with { ErrorTopic = "sensors/errors" };
        await using var predictions = await Collector.StartAsync(_broker.Port, "sensors/+/pred");
        await using var errorTopic = await Collector.StartAsync(_broker.Port, "sensors/errors");
        var errors = new List<ObservationError>();
        var run = MqttStream.Run(_system, _model, Streaming, settings, e => { lock (errors) errors.Add(e); });
        await run.Subscribed.WaitAsync(Patience);

        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            await publisher.PublishAsync("sensors/a/obs", """{"x": [0.1, 0.2, 0.3, 0.4]}""");
            await publisher.PublishAsync("sensors/a/obs", "not json");
            await publisher.PublishAsync("sensors/a/obs", """{"x": [0.1, 0.2]}""");
            await publisher.PublishAsync("sensors/b/obs", """{"x": [1e999, 0, 0, 0]}""");
            await publisher.PublishAsync("sensors/a/obs", """{"x": [0.5, 0.6, 0.7, 0.8]}""");
            await publisher.PublishAsync("sensors/b/obs", """{"x": [0.5, 0.6, 0.7, 0.8]}""");
        }

        await predictions.WaitUntilAsync(m => m.Count >= 3, Patience, "3 predictions");
        await errorTopic.WaitUntilAsync(m => m.Count >= 3, Patience, "3 error records on the error topic");
        await Eventually.TrueAsync(() => run.Input.Acknowledged == 6, Patience, () => $"acknowledged {run.Input.Acknowledged} of 6");
        await run.StopAsync();

        var got = predictions.Predictions();
        Assert.Equal([0L, 1], got["a"].Select(p => p.T).Order());
        Assert.Equal([0L], got["b"].Select(p => p.T));
        lock (errors)
        {
            Assert.Equal([2L, 3, 4], errors.Select(e => e.Position).Order());
            Assert.Contains("not valid JSON", errors.Single(e => e.Position == 2).Reason);
            Assert.Equal("a", errors.Single(e => e.Position == 3).SequenceId);
            Assert.Equal("b", errors.Single(e => e.Position == 4).SequenceId);
        }

        Assert.Equal([2L, 3, 4], errorTopic.Messages.Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("position").GetInt64()).Order());

        // Everything was acknowledged: a new run on the same session gets nothing redelivered.
        var again = MqttStream.Run(_system, _model, Streaming, settings);
        await again.Subscribed.WaitAsync(Patience);
        await Task.Delay(500);
        await again.StopAsync();
        Assert.Equal(0, again.Input.Received);
    }

    [Fact]
    public async Task A_slow_consumer_keeps_unacknowledged_messages_and_in_flight_within_receive_maximum()
    {
        const int ReceiveMaximum = 16, Sequences = 6, Steps = 100;
        var settings = Settings("slow") with { ReceiveMaximum = ReceiveMaximum, MaxPublishesInFlight = 8 };
        await using var collector = await Collector.StartAsync(_broker.Port, "sensors/+/pred");
        var slow = Flow.Create<Prediction>().SelectAsync(1, async p =>
        {
            await Task.Delay(2);
            return p;
        });
        var run = MqttStream.Run(_system, _model, Streaming with { MaxInFlight = 64 }, settings, beforeSink: slow);
        await run.Subscribed.WaitAsync(Patience);

        var random = new Random(7);
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            for (int step = 0; step < Steps; step++)
            {
                for (int s = 0; s < Sequences; s++)
                {
                    string x = string.Join(", ", Enumerable.Range(0, 4).Select(_ => (random.NextDouble() - 0.5).ToString("R", CultureInfo.InvariantCulture)));
                    await publisher.PublishAsync($"sensors/s{s}/obs", $$"""{"x": [{{x}}]}""");
                }
            }
        }

        long takenWhenPublished = run.Input.Received;
        await collector.WaitUntilAsync(m => m.Count >= Sequences * Steps, Patience, $"{Sequences * Steps} predictions");
        await run.StopAsync();

        Assert.True(takenWhenPublished < Sequences * Steps, $"the source had taken all {takenWhenPublished} messages: nothing waited outside the pipeline");
        Assert.InRange(run.Input.MaxUnacknowledgedSeen, 1, ReceiveMaximum);
        Assert.InRange(run.Metrics.MaxInFlightSeen, 1, ReceiveMaximum);
        Assert.Equal(Sequences * Steps, run.Metrics.Emitted);
        Assert.All(collector.Predictions().Values, list => Assert.Equal(Enumerable.Range(0, Steps).Select(i => (long)i), list.Select(p => p.T).Order()));
    }

    [Fact]
    public async Task A_broker_restart_in_the_middle_of_a_stream_loses_nothing_and_applies_nothing_twice()
    {
        var settings = Settings("restart");
        await using var collector = await Collector.StartAsync(_broker.Port, "sensors/+/pred");
        var slow = Flow.Create<Prediction>().SelectAsync(1, async p =>
        {
            await Task.Delay(1);
            return p;
        });
        var run = MqttStream.Run(_system, _model, Streaming, settings, beforeSink: slow);
        await run.Subscribed.WaitAsync(Patience);

        var (messages, expected) = FixtureSequences(withT: true);
        int half = messages.Count / 2;
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (var (topic, payload) in messages.Take(half)) await publisher.PublishAsync(topic, payload);
        }

        await collector.WaitUntilAsync(m => m.Count >= 10, Patience, "the first predictions");
        _broker.Restart();
        using (var publisher = await Publisher.ConnectAsync(_broker.Port))
        {
            foreach (var (topic, payload) in messages.Skip(half)) await publisher.PublishAsync(topic, payload);
        }

        int wanted = expected.Values.Sum(v => v.Count);
        await collector.WaitUntilAsync(m => m.Select(x => x.Topic + JsonDocument.Parse(x.Payload).RootElement.GetProperty("t").GetInt64()).Distinct().Count() >= wanted,
            Patience, $"{wanted} distinct predictions");
        await run.StopAsync();

        // Each (seq, t) is there, with PyTorch's value; a prediction may be delivered twice (at least once), never computed twice.
        var got = collector.Predictions().ToDictionary(kv => kv.Key, kv => kv.Value.DistinctBy(p => p.T).ToList());
        AssertMatches(expected, got);
        foreach (var (seq, list) in collector.Predictions())
        {
            foreach (var group in list.GroupBy(p => p.T))
                Assert.All(group, p => Assert.Equal(group.First().Y, p.Y));
        }
    }

    /// <summary>The fixture's four sequences interleaved round-robin, on sensors/s{i}/obs (t = 1000 + step when asked).</summary>
    internal static (List<(string Topic, string Payload)> Messages, Dictionary<string, List<(long T, float[] Y)>> Expected) FixtureSequences(bool withT)
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "lstm_2l_head_sigmoid.json"))).RootElement;
        var sequences = root.GetProperty("sequences").EnumerateArray().ToList();
        var messages = new List<(string, string)>();
        var expected = new Dictionary<string, List<(long, float[])>>();
        int longest = sequences.Max(s => s.GetProperty("x").GetArrayLength());
        for (int step = 0; step < longest; step++)
        {
            for (int i = 0; i < sequences.Count; i++)
            {
                var xs = sequences[i].GetProperty("x");
                if (step >= xs.GetArrayLength()) continue;
                long t = withT ? 1000 + step : step;
                string x = xs[step].GetRawText();
                messages.Add(($"sensors/s{i}/obs", withT ? $$"""{"x": {{x}}, "t": {{t}}}""" : $$"""{"x": {{x}}}"""));
                if (!expected.TryGetValue("s" + i, out var list)) expected["s" + i] = list = new();
                list.Add((t, sequences[i].GetProperty("y")[step].EnumerateArray().Select(v => v.GetSingle()).ToArray()));
            }
        }

        return (messages, expected);
    }

    /// <summary>Every sequence has exactly PyTorch's (t, y) rows, compared in t order within 1e-5.</summary>
    internal static void AssertMatches(Dictionary<string, List<(long T, float[] Y)>> want, Dictionary<string, List<(long T, float[] Y)>> got)
    {
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        foreach (var (seq, rows) in want)
        {
            var ours = got[seq].OrderBy(p => p.T).ToList();
            var theirs = rows.OrderBy(p => p.T).ToList();
            Assert.Equal(theirs.Select(r => r.T), ours.Select(r => r.T));
            for (int i = 0; i < theirs.Count; i++)
            {
                for (int j = 0; j < theirs[i].Y.Length; j++)
                    Assert.True(Math.Abs(theirs[i].Y[j] - ours[i].Y[j]) <= 1e-5, $"{seq} t={theirs[i].T}: {ours[i].Y[j]} vs PyTorch {theirs[i].Y[j]}");
            }
        }
    }
}
