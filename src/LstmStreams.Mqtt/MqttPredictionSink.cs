using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Stage;
using LstmStreams.Pipeline;
using LstmStreams.Formats;
using MQTTnet;

namespace LstmStreams.Mqtt;

/// <summary>
/// Takes the runtime's kernel batches (<see cref="LstmStream.CreateGrouped"/>: one element per batch, no stream
/// element per prediction) and publishes each prediction with QoS 1 to its sequence's output topic (<c>{"seq", "t", "y"}</c>, as a JSONL
/// line), or with output-batch N &gt; 1 up to N predictions of one topic as one message (a JSON array of them,
/// published when full or after output-linger), and, once the broker's PUBACK came back, completes the input
/// positions the message answers (<see cref="Prediction.Position"/>) in <see cref="InputAcknowledgements"/>.
/// Publishes are pipelined: at most max-publishes-in-flight (and the broker's receive-maximum) messages wait for
/// their PUBACK at once; then upstream is not pulled (a batch taken may queue up to its own size more). Payload buffers are reused (<see cref="OutboundMessage"/>). A publish
/// lost with the connection is sent again after reconnecting (at least once: a subscriber may see it twice).
/// The materialized task completes when every prediction was published and the connection closed; it fails if
/// the broker refuses a publish (not authorized, invalid topic…), which acknowledges nothing.
/// </summary>
public sealed class MqttPredictionSink : GraphStageWithMaterializedValue<SinkShape<IReadOnlyList<Prediction>>, Task>
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
        Shape = new SinkShape<IReadOnlyList<Prediction>>(In);
    }

    /// <summary>Predictions to publish, a kernel batch (or any group) an element.</summary>
    public Inlet<IReadOnlyList<Prediction>> In { get; } = new("MqttPredictionSink.in");

    /// <inheritdoc />
    public override SinkShape<IReadOnlyList<Prediction>> Shape { get; }

    /// <inheritdoc />
    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("mqtt-predictions");

    /// <inheritdoc />
    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task>(new Logic(this, done), done.Task);
    }

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string RetryTimer = "retry", LingerTimer = "linger";
        private const int TopicCacheSize = 65_536;
        private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
        private readonly MqttPredictionSink _stage;
        private readonly TaskCompletionSource _done;
        private readonly TopicMapping _topics;
        private readonly int _batch;
        private readonly long _lingerTicks;
        private readonly Queue<OutboundMessage> _waiting = new(); // not yet sent, or lost with the connection
        private readonly Stack<OutboundMessage> _free = new();
        private readonly Dictionary<string, OutboundMessage> _open = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _topicOf = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<OutboundMessage> _published = new();
        private readonly List<OutboundMessage> _expired = new();
        private readonly Action<OutboundMessage> _onPublished;
        private long[] _completed = new long[256];
        private MqttConnection? _connection;
        private Action? _drainPublished;
        private Action<int>? _connected;
        private Action? _disconnected;
        private bool _isConnected, _upstreamFinished;
        private int _inFlight, _limit, _openPredictions, _drainScheduled;
        private Exception? _failure;

        public Logic(MqttPredictionSink stage, TaskCompletionSource done) : base(stage.Shape)
        {
            _stage = stage;
            _done = done;
            _topics = new TopicMapping(stage._settings);
            _limit = stage._settings.MaxPublishesInFlight;
            _batch = stage._settings.OutputBatch;
            _lingerTicks = (long)(stage._settings.OutputLinger.TotalSeconds * Stopwatch.Frequency);
            _onPublished = OnPublishedAnyThread;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: () =>
            {
                _upstreamFinished = true;
                foreach (var message in _open.Values) Send(Seal(message));
                _open.Clear();
                _openPredictions = 0;
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
            _drainPublished = GetAsyncCallback(DrainPublished);
            _connected = GetAsyncCallback<int>(OnConnected);
            _disconnected = GetAsyncCallback(() => _isConnected = false);
            // An always-open read gate: the PUBACKs are read through its buffer (fewer system calls).
            _connection = new MqttConnection(settings, "-out", (ushort)settings.ReceiveMaximum, Log, new ReadGate(static () => true));
            _connection.Connected = result =>
            {
                _connected(result.ReceiveMaximum is > 0 and var broker ? broker : ushort.MaxValue);
                return Task.CompletedTask;
            };
            _connection.Disconnected = _disconnected;
            _stage._acknowledgements.Connection = _connection;
            _connection.Start();
            // The stage ends itself once what it holds is acknowledged (CompleteIfDone): without this, Akka stops it
            // as soon as its one inlet closes, with publishes still in flight (the tail of a finite input was lost).
            SetKeepGoing(true);
            Pull(_stage.In);
        }

        public override void PostStop() => _ = CloseAsync();

        private async Task CloseAsync()
        {
            if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
            if (_failure is not null) _done.TrySetException(_failure);
            else _done.TrySetResult();
        }

        protected override void OnTimer(object timerKey)
        {
            if (LingerTimer.Equals(timerKey)) PublishExpired();
            else PublishWaiting();
        }

        private void OnConnected(int brokerReceiveMaximum)
        {
            _isConnected = true;
            _limit = Math.Min(_stage._settings.MaxPublishesInFlight, brokerReceiveMaximum);
            PublishWaiting();
        }

        private void OnPush()
        {
            var predictions = Grab(_stage.In);
            for (int i = 0; i < predictions.Count; i++) Add(predictions[i]);
            PullIfRoom();
        }

        /// <summary>Adds a prediction to its topic's open batch (sent when full), or sends it alone (output-batch 1).</summary>
        private void Add(Prediction prediction)
        {
            string topic = TopicOf(prediction.SequenceId);
            if (_batch == 1)
            {
                var single = Rent();
                single.Open(topic, asArray: false, 0);
                single.Add(prediction);
                Send(Seal(single));
            }
            else
            {
                if (!_open.TryGetValue(topic, out var batch))
                {
                    batch = Rent();
                    batch.Open(topic, asArray: true, Stopwatch.GetTimestamp());
                    _open.Add(topic, batch);
                    if (!IsTimerActive(LingerTimer)) ScheduleOnce(LingerTimer, _stage._settings.OutputLinger);
                }

                batch.Add(prediction);
                _openPredictions++;
                if (batch.Count == _batch)
                {
                    _open.Remove(topic);
                    _openPredictions -= batch.Count;
                    Send(Seal(batch));
                }
            }
        }

        /// <summary>Publishes the batches that have waited the linger; the timer is set again for the oldest left.</summary>
        private void PublishExpired()
        {
            long now = Stopwatch.GetTimestamp(), oldest = long.MaxValue;
            foreach (var batch in _open.Values)
            {
                if (now - batch.OpenedTicks >= _lingerTicks) _expired.Add(batch);
                else oldest = Math.Min(oldest, batch.OpenedTicks);
            }

            foreach (var batch in _expired)
            {
                _open.Remove(batch.Topic);
                _openPredictions -= batch.Count;
                Send(Seal(batch));
            }

            _expired.Clear();
            if (oldest != long.MaxValue)
                ScheduleOnce(LingerTimer, TimeSpan.FromSeconds((double)(oldest + _lingerTicks - now) / Stopwatch.Frequency));
            PullIfRoom();
        }

        private OutboundMessage Seal(OutboundMessage message)
        {
            message.Close(asArray: _batch > 1);
            return message;
        }

        private OutboundMessage Rent() => _free.TryPop(out var message) ? message : new OutboundMessage(_onPublished);

        /// <summary>The output topic of a sequence; remembered for the most recent ids, so a steady stream of the
        /// same sequences does not build a topic string per prediction.</summary>
        private string TopicOf(string sequenceId)
        {
            if (_topicOf.TryGetValue(sequenceId, out var topic)) return topic;
            if (_topicOf.Count >= TopicCacheSize) _topicOf.Clear();
            topic = _topics.OutputTopicOf(sequenceId);
            _topicOf.Add(sequenceId, topic);
            return topic;
        }

        private void Send(OutboundMessage message)
        {
            if (_isConnected && _waiting.Count == 0 && _inFlight < _limit) Publish(message);
            else _waiting.Enqueue(message);
        }

        private void PublishWaiting()
        {
            while (_isConnected && _inFlight < _limit && _waiting.TryDequeue(out var message)) Publish(message);
            PullIfRoom();
        }

        private void PullIfRoom()
        {
            if (_inFlight + _waiting.Count < _limit && _openPredictions < _limit * _batch && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
                Pull(_stage.In);
        }

        /// <summary>Sends without awaiting: up to the limit of publishes are in flight at once, and each one's
        /// PUBACK comes back through <see cref="OnPublishedAnyThread"/>.</summary>
        private void Publish(OutboundMessage message)
        {
            _inFlight++;
            Task<MqttClientPublishResult> publish;
            try
            {
                publish = _connection!.Client.PublishAsync(message.ToMessage());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                publish = Task.FromException<MqttClientPublishResult>(e);
            }

            message.Observe(publish);
        }

        /// <summary>On the thread that completed the publish: queue it, and wake the stage once for every run of
        /// completions (not once per PUBACK).</summary>
        private void OnPublishedAnyThread(OutboundMessage message)
        {
            _published.Enqueue(message);
            if (Interlocked.Exchange(ref _drainScheduled, 1) == 0) _drainPublished!();
        }

        /// <summary>Takes every completed publish: the acknowledged ones complete their positions in one call, the
        /// lost ones wait to be sent again, a refused one fails the stage.</summary>
        private void DrainPublished()
        {
            Volatile.Write(ref _drainScheduled, 0);
            int completed = 0;
            while (_published.TryDequeue(out var message))
            {
                _inFlight--;
                if (message.Failure is not null)
                {
                    _waiting.Enqueue(message);
                    ScheduleOnce(RetryTimer, RetryDelay);
                    continue;
                }

                var result = message.Result!;
                if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
                {
                    _failure = new InvalidOperationException(
                        $"the broker refused a prediction on '{message.Topic}': {$"{result.ReasonCode} {result.ReasonString}".TrimEnd()}. " +
                        "Check lstm-streams.mqtt.output-topic and the broker's access rules for this client.");
                    FailStage(_failure);
                    return;
                }

                if (completed + message.Count > _completed.Length) Array.Resize(ref _completed, Math.Max(_completed.Length * 2, completed + message.Count));
                message.Positions.CopyTo(_completed.AsSpan(completed));
                completed += message.Count;
                _free.Push(message);
            }

            if (completed > 0) _stage._acknowledgements.Complete(_completed.AsSpan(0, completed));
            PublishWaiting();
            CompleteIfDone();
        }

        private void CompleteIfDone()
        {
            if (_upstreamFinished && _inFlight == 0 && _waiting.Count == 0 && _open.Count == 0) CompleteStage();
        }
    }
}
