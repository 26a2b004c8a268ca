using System.Buffers;
using System.Text.Json;
using Akka.Streams;
using Akka.Streams.Stage;
using LstmStreams.Pipeline;
using LstmStreams.Formats;
using MQTTnet;
using MQTTnet.Protocol;

namespace LstmStreams.Mqtt;

/// <summary>
/// Publishes each prediction with QoS 1 to its sequence's output topic (<c>{"seq", "t", "y"}</c>, as a JSONL
/// line) and, once the broker's PUBACK came back, completes the input message it answers
/// (<see cref="Prediction.Position"/>) in <see cref="InputAcknowledgements"/>. At most max-publishes-in-flight
/// (and the broker's receive-maximum) publishes wait for their PUBACK; then upstream is not pulled. A publish
/// lost with the connection is sent again after reconnecting (at least once: a subscriber may see it twice).
/// The materialized task completes when every prediction was published and the connection closed; it fails if
/// the broker refuses a publish (not authorized, invalid topic…), which acknowledges nothing.
/// </summary>
public sealed class MqttPredictionSink : GraphStageWithMaterializedValue<SinkShape<Prediction>, Task>
{
    private readonly MqttSettings _settings;
    private readonly InputAcknowledgements _acknowledgements;

    /// <summary>Creates the sink.</summary>
    /// <param name="settings">Broker, output topic template, publishes in flight.</param>
    /// <param name="acknowledgements">Where a published prediction completes its input message.</param>
    public MqttPredictionSink(MqttSettings settings, InputAcknowledgements acknowledgements)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(acknowledgements);
        settings.Validate();
        _settings = settings;
        _acknowledgements = acknowledgements;
        Shape = new SinkShape<Prediction>(In);
    }

    /// <summary>Predictions to publish.</summary>
    public Inlet<Prediction> In { get; } = new("MqttPredictionSink.in");

    /// <inheritdoc />
    public override SinkShape<Prediction> Shape { get; }

    /// <inheritdoc />
    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("mqtt-predictions");

    /// <inheritdoc />
    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task>(new Logic(this, done), done.Task);
    }

    private enum Outcome
    {
        Acknowledged,
        Lost,
        Refused,
    }

    private readonly record struct Published(Prediction Prediction, Outcome Outcome, string Reason);

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string RetryTimer = "retry";
        private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
        private readonly MqttPredictionSink _stage;
        private readonly TaskCompletionSource _done;
        private readonly TopicMapping _topics;
        private readonly Queue<Prediction> _retry = new();
        private MqttConnection? _connection;
        private Action<Published>? _published;
        private Action<int>? _connected;
        private Action? _disconnected;
        private bool _isConnected, _upstreamFinished;
        private int _inFlight, _limit;
        private Exception? _failure;

        public Logic(MqttPredictionSink stage, TaskCompletionSource done) : base(stage.Shape)
        {
            _stage = stage;
            _done = done;
            _topics = new TopicMapping(stage._settings);
            _limit = stage._settings.MaxPublishesInFlight;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: () =>
            {
                _upstreamFinished = true;
                CompleteIfDone();
            }, onUpstreamFailure: e =>
            {
                _failure = e;
                FailStage(e);
            });
        }

        public override void PreStart()
        {
            var settings = _stage._settings;
            _published = GetAsyncCallback<Published>(OnPublished);
            _connected = GetAsyncCallback<int>(OnConnected);
            _disconnected = GetAsyncCallback(() => _isConnected = false);
            _connection = new MqttConnection(settings, "-out", (ushort)settings.ReceiveMaximum, Log);
            _connection.Connected = result =>
            {
                _connected(result.ReceiveMaximum is > 0 and var broker ? broker : ushort.MaxValue);
                return Task.CompletedTask;
            };
            _connection.Disconnected = _disconnected;
            _stage._acknowledgements.Connection = _connection;
            _connection.Start();
            Pull(_stage.In);
        }

        public override void PostStop() => _ = CloseAsync();

        private async Task CloseAsync()
        {
            if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
            if (_failure is not null) _done.TrySetException(_failure);
            else _done.TrySetResult();
        }

        protected override void OnTimer(object timerKey) => PublishWaiting();

        private void OnConnected(int brokerReceiveMaximum)
        {
            _isConnected = true;
            _limit = Math.Min(_stage._settings.MaxPublishesInFlight, brokerReceiveMaximum);
            PublishWaiting();
        }

        private void OnPush()
        {
            var prediction = Grab(_stage.In);
            if (_isConnected && _retry.Count == 0) Publish(prediction);
            else _retry.Enqueue(prediction);
            PullIfRoom();
        }

        private void PublishWaiting()
        {
            while (_isConnected && _inFlight < _limit && _retry.TryDequeue(out var prediction)) Publish(prediction);
            PullIfRoom();
        }

        private void PullIfRoom()
        {
            if (_inFlight + _retry.Count < _limit && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In)) Pull(_stage.In);
        }

        private void Publish(Prediction prediction)
        {
            var buffer = new ArrayBufferWriter<byte>(64 + 16 * prediction.Y.Length);
            using (var writer = new Utf8JsonWriter(buffer, JsonlWriter.Options)) JsonlWriter.WritePrediction(writer, prediction);
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(_topics.OutputTopicOf(prediction.SequenceId))
                .WithPayload(buffer.WrittenMemory.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            _inFlight++;
            var published = _published!;
            Task<MqttClientPublishResult> publish;
            try
            {
                publish = _connection!.Client.PublishAsync(message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                publish = Task.FromException<MqttClientPublishResult>(e);
            }

            publish.ContinueWith(task => published(task.IsCompletedSuccessfully
                ? task.Result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers
                    ? new Published(prediction, Outcome.Acknowledged, "")
                    : new Published(prediction, Outcome.Refused, $"{task.Result.ReasonCode} {task.Result.ReasonString}".TrimEnd())
                : new Published(prediction, Outcome.Lost, task.Exception?.GetBaseException().Message ?? "cancelled")), TaskScheduler.Default);
        }

        private void OnPublished(Published published)
        {
            _inFlight--;
            switch (published.Outcome)
            {
                case Outcome.Acknowledged:
                    _stage._acknowledgements.Complete(published.Prediction.Position);
                    break;
                case Outcome.Lost:
                    _retry.Enqueue(published.Prediction);
                    ScheduleOnce(RetryTimer, RetryDelay);
                    break;
                default:
                    _failure = new InvalidOperationException(
                        $"the broker refused a prediction on '{_topics.OutputTopicOf(published.Prediction.SequenceId)}': {published.Reason}. " +
                        "Check lstm-streams.mqtt.output-topic and the broker's access rules for this client.");
                    FailStage(_failure);
                    return;
            }

            PublishWaiting();
            CompleteIfDone();
        }

        private void CompleteIfDone()
        {
            if (_upstreamFinished && _inFlight == 0 && _retry.Count == 0) CompleteStage();
        }
    }
}
