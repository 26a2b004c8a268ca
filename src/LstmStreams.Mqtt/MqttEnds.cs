using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Core.Model;
using LstmStreams.Formats;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Mqtt;

/// <summary>
/// Pipelines with a broker at one end only: observations from MQTT into a file or stdout, or observations from
/// a file or stdin published to MQTT. Each keeps at least once on the side that has a broker.
/// </summary>
public static class MqttEnds
{
    /// <summary>
    /// MQTT in, a <see cref="PredictionWriter"/> out. A kernel batch's predictions are written and flushed to the
    /// writer's stream, and only then are their input messages acknowledged to the broker: a crash of this
    /// process loses nothing the broker accepted (what was not yet acknowledged is redelivered). Runs until
    /// <see cref="MqttRun.StopAsync"/>.
    /// </summary>
    /// <param name="system">Hosts the sequence actors and the stream.</param>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="streaming">Runtime settings; max-in-flight must be at least the MQTT receive-maximum.</param>
    /// <param name="mqtt">Broker, input topic, session.</param>
    /// <param name="predictions">Where predictions go.</param>
    /// <param name="onError">Receives every error record; keep it quick. Null to only count them.</param>
    public static MqttRun ToWriter(ActorSystem system, RecurrentModel model, StreamingSettings streaming, MqttSettings mqtt, PredictionWriter predictions,
        Action<ObservationError>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var (batches, acknowledgements) = Input(system, model, streaming, mqtt, onError);
        var ((source, killSwitch, metrics), written) = batches
            .ToMaterialized(Sink.ForEach<IReadOnlyList<Prediction>>(batch =>
            {
                predictions.Write(batch);
                predictions.Flush(); // written before acknowledged
                Span<long> positions = batch.Count <= 256 ? stackalloc long[batch.Count] : new long[batch.Count];
                for (int i = 0; i < batch.Count; i++) positions[i] = batch[i].Position;
                acknowledgements.Complete(positions);
            }), Keep.Both)
            .Run(system.Materializer());
        return new MqttRun(killSwitch, metrics, acknowledgements, written, source);
    }

    /// <summary>
    /// Groups of observations (a file or stdin, <see cref="ObservationReader"/>) in, MQTT out: each prediction is
    /// published with QoS 1 (batched by output-batch), and the returned task completes once the source has ended
    /// and the broker has acknowledged every publish, or fails with the error that stopped the stream.
    /// </summary>
    /// <param name="system">Hosts the sequence actors and the stream.</param>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="streaming">Runtime settings.</param>
    /// <param name="mqtt">Broker, output topic, session.</param>
    /// <param name="groups">The observations.</param>
    /// <param name="onError">Receives the runtime's error records; keep it quick. Null to only count them.</param>
    /// <returns>The pipeline's counters, a kill switch that stops reading the source, and the completion.</returns>
    public static (PipelineMetrics Metrics, UniqueKillSwitch Stop, Task Published) FromGroups(ActorSystem system, RecurrentModel model, StreamingSettings streaming,
        MqttSettings mqtt, Source<IReadOnlyList<Observation>, NotUsed> groups, Action<ObservationError>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Check(system, model, streaming, mqtt);
        // Nothing to acknowledge on the input side: the sink's completions find no message and are ignored.
        var acknowledgements = new InputAcknowledgements(mqtt);
        var ((killSwitch, metrics), published) = groups
            .ViaMaterialized(KillSwitches.Single<IReadOnlyList<Observation>>(), Keep.Right)
            .ViaMaterialized(LstmStream.CreateGrouped(system, model, streaming, onError), Keep.Both)
            .ToMaterialized(Sink.FromGraph(new MqttPredictionSink(mqtt, acknowledgements)), Keep.Both)
            .Run(system.Materializer());
        return (metrics, killSwitch, published);
    }

    /// <summary>
    /// The input half every MQTT-in pipeline shares: the source (its observations in groups) → kill switch → the
    /// runtime, whose error records (bad width, NaN, duplicates) complete their input messages; out come the
    /// kernel batches. The sink that takes them must complete each prediction's position in the returned book.
    /// </summary>
    internal static (Source<IReadOnlyList<Prediction>, (MqttSourceStatus Source, UniqueKillSwitch Stop, PipelineMetrics Metrics)> Batches,
        InputAcknowledgements Acknowledgements) Input(ActorSystem system, RecurrentModel model, StreamingSettings streaming, MqttSettings mqtt,
        Action<ObservationError>? onError)
    {
        Check(system, model, streaming, mqtt);
        var acknowledgements = new InputAcknowledgements(mqtt);
        var report = onError ?? (_ => { });
        var flow = LstmStream.CreateGrouped(system, model, streaming, error =>
        {
            report(error);
            acknowledgements.Fail(error);
        });
        var batches = Source.FromGraph(new MqttObservationSource(mqtt, acknowledgements, report))
            .ViaMaterialized(KillSwitches.Single<IReadOnlyList<Observation>>(), Keep.Both)
            .ViaMaterialized(flow, (left, metrics) => (left.Item1, left.Item2, metrics));
        return (batches, acknowledgements);
    }

    /// <summary>The arguments every MQTT pipeline needs, and max-in-flight room for receive-maximum.</summary>
    internal static void Check(ActorSystem system, RecurrentModel model, StreamingSettings streaming, MqttSettings mqtt)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(streaming);
        ArgumentNullException.ThrowIfNull(mqtt);
        mqtt.Validate();
        if (mqtt.ReceiveMaximum > streaming.MaxInFlight)
            throw new ArgumentException($"lstm-streams.mqtt.receive-maximum = {mqtt.ReceiveMaximum} is above lstm-streams.max-in-flight = {streaming.MaxInFlight}: " +
                "lower it (or raise max-in-flight), so that every message the broker may send can be admitted.", nameof(mqtt));
    }
}
