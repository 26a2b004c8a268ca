using System.Text;
using Akka.Actor;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;
using LstmStreams.Formats;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Mqtt.Tests;

/// <summary>A broker at one end only, against a real Mosquitto: MQTT in → file out, file in → MQTT out.</summary>
public sealed class MqttEndsTests() : BrokerTests("mqtt-ends-tests")
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-ends-").FullName;

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static int LinesIn(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int count = 0, b;
        while ((b = stream.ReadByte()) >= 0) count += b == '\n' ? 1 : 0;
        return count;
    }

    [Fact]
    public async Task Observations_from_MQTT_go_to_a_file_and_are_acknowledged_only_once_written()
    {
        string output = Path.Combine(_folder, "predictions.jsonl");
        var settings = Settings("to-file") with { InputTopic = "plant/obs", SequenceFrom = SequenceIdFrom.Payload };
        var errors = new List<ObservationError>();
        MqttRun run;
        using (var writer = new PredictionWriter(new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read), OutputFormat.Jsonl, _model.OutputSize))
        {
            run = MqttEnds.ToWriter(_system, _model, Streaming, settings, writer, e => { lock (errors) errors.Add(e); });
            await run.Subscribed.WaitAsync(Patience);
            string[] lines = InterleavedLines();
            var payloads = lines.Chunk(10).Select(chunk => "[" + string.Join(",", chunk) + "]").ToList();
            using (var publisher = await Publisher.ConnectAsync(_broker.Port))
            {
                foreach (string payload in payloads) await publisher.PublishAsync("plant/obs", payload);
            }

            // At every moment, a message is acknowledged only once all its predictions are in the file.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (run.Input.Acknowledged < payloads.Count)
            {
                long acknowledged = run.Input.Acknowledged;
                Assert.True(LinesIn(output) >= acknowledged * 10, $"{acknowledged} messages acknowledged but only {LinesIn(output)} predictions written");
                Assert.True(clock.Elapsed < Patience, $"acknowledged {run.Input.Acknowledged} of {payloads.Count} messages");
                await Task.Delay(5);
            }

            await run.StopAsync();
        }

        Assert.Empty(errors);
        var got = LstmStreams.Tests.Shared.PredictionFiles.Read(output);
        MqttStreamTests.AssertMatches(InterleavedExpected(), got);
    }

    [Fact]
    public async Task Observations_from_a_file_are_published_and_the_run_ends_once_the_broker_has_every_prediction()
    {
        var settings = Settings("from-file") with { OutputTopic = "plant/pred/{seq}", OutputBatch = 8, OutputLinger = TimeSpan.FromMilliseconds(5) };
        await using var collector = await Collector.StartAsync(_broker.Port, "plant/pred/#");
        string[] lines = InterleavedLines();
        var errors = new List<ObservationError>();
        var reader = new ObservationReader(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\nnot json\n")), () =>
        {
            var parser = new JsonlObservations();
            return (line, position) => parser.Read(line, position);
        }, e => { lock (errors) errors.Add(e); });

        var (metrics, _, published) = MqttEnds.FromGroups(_system, _model, Streaming, settings, reader.Groups(LstmStream.MaxGroupSize(Streaming)), e => { lock (errors) errors.Add(e); });
        await published.WaitAsync(Patience);

        // The run has ended only after every publish was acknowledged: the subscriber gets them all.
        Assert.Equal(lines.Length, metrics.Emitted);
        await collector.WaitUntilAsync(_ => collector.PredictionCount() >= lines.Length, Patience, $"{lines.Length} predictions");
        var error = Assert.Single(errors);
        Assert.Equal(lines.Length + 1, error.Position);
        MqttStreamTests.AssertMatches(InterleavedExpected(), collector.Predictions());
    }
}
