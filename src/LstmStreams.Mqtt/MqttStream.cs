using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Model;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Mqtt;

/// <summary>
/// A live MQTT pipeline: <see cref="MqttObservationSource"/> → kill switch → <see cref="LstmStream"/> →
/// <see cref="MqttPredictionSink"/>, with the runtime's error records (bad width, NaN, duplicates) completing
/// their input messages. At least once end to end: an input is acknowledged to the broker only after its
/// prediction's PUBACK or its error record.
/// </summary>
public static class MqttStream
{
    /// <summary>Materializes and starts the pipeline; it runs until <see cref="MqttRun.StopAsync"/>.</summary>
    /// <param name="system">Hosts the sequence actors and the stream.</param>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="streaming">Runtime settings; max-in-flight must be at least the MQTT receive-maximum.</param>
    /// <param name="mqtt">Broker, topics, session.</param>
    /// <param name="onError">Receives every error record (unparsable messages on MQTTnet's thread, the runtime's
    /// rejections on the compute stage's): keep it quick. Null to only count them.</param>
    /// <param name="beforeSink">A stage between the runtime and the sink (a tap, a slow consumer in tests), which sees
    /// the predictions one by one; null for none (the sink then takes the runtime's batches whole).</param>
    public static MqttRun Run(ActorSystem system, RecurrentModel model, StreamingSettings streaming, MqttSettings mqtt,
        Action<ObservationError>? onError = null, Flow<Prediction, Prediction, NotUsed>? beforeSink = null)
    {
        var (predictions, acknowledgements) = MqttEnds.Input(system, model, streaming, mqtt, onError);
        // The sink takes whole kernel batches; a stage before it sees each prediction, and hands it on alone.
        var batches = beforeSink is null ? predictions
            : predictions.SelectMany(batch => batch).Via(beforeSink).Select(IReadOnlyList<Prediction> (p) => [p]);
        var ((source, killSwitch, metrics), published) = batches
            .ToMaterialized(Sink.FromGraph(new MqttPredictionSink(mqtt, acknowledgements)), Keep.Both)
            .Run(system.Materializer());
        return new MqttRun(killSwitch, metrics, acknowledgements, published, source);
    }
}

/// <summary>A running MQTT pipeline: its counters and how to stop it.</summary>
public sealed class MqttRun
{
    private readonly UniqueKillSwitch _killSwitch;
    private readonly MqttSourceStatus _source;

    internal MqttRun(UniqueKillSwitch killSwitch, PipelineMetrics metrics, InputAcknowledgements input, Task published, MqttSourceStatus source)
    {
        _killSwitch = killSwitch;
        _source = source;
        Metrics = metrics;
        Input = input;
        Completion = published;
    }

    /// <summary>Completes once the input subscription is in place (messages published from then on are kept for
    /// this client id, even across restarts).</summary>
    public Task Subscribed => _source.Subscribed;

    /// <summary>The runtime's counters (admitted, emitted, in flight…).</summary>
    public PipelineMetrics Metrics { get; }

    /// <summary>The input messages: received, acknowledged, unacknowledged now and at most.</summary>
    public InputAcknowledgements Input { get; }

    /// <summary>Completes when the sink has stopped: after <see cref="StopAsync"/>, or with the error that failed
    /// the stream (the broker refused a publish).</summary>
    public Task Completion { get; }

    /// <summary>
    /// Stops taking messages, lets what was taken flow to the broker and be acknowledged, then disconnects both
    /// connections (the sessions stay at the broker, so messages published meanwhile wait for the next run).
    /// </summary>
    public async Task StopAsync()
    {
        _killSwitch.Shutdown();
        try
        {
            await Completion.ConfigureAwait(false);
        }
        finally
        {
            Input.AbandonPending();
            await _source.Closed.ConfigureAwait(false);
        }
    }
}
